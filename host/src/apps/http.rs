//! A small HTTP/1.1 server: `GET /` answers a page, other paths 404, other methods
//! 405, anything unparseable 400. Every answer has a Content-Length and
//! `Connection: close`, and the server closes once it is sent (one request per
//! connection, which HTTP/1.1 allows when it says so).

use super::Protocol;

/// Request heads longer than this are refused (431 would be the modern answer; 400 is
/// what every client understands).
const MAX_HEAD: usize = 8 * 1024;

pub const PAGE: &str = "<!DOCTYPE html>
<html><head><title>tcpip-fpga</title></head>
<body><h1>tcpip-fpga</h1>
<p>This page came over TCP from the host stack, through the board's Ethernet port.</p>
</body></html>
";

#[derive(Default)]
pub struct Http {
    head: Vec<u8>,
    answered: bool,
}

fn response(out: &mut Vec<u8>, status: &str, extra: &str, body: &str, send_body: bool) {
    out.extend_from_slice(
        format!(
            "HTTP/1.1 {status}\r\nServer: tcpip-fpga\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    if send_body {
        out.extend_from_slice(body.as_bytes());
    }
}

impl Http {
    fn answer(&mut self, out: &mut Vec<u8>) {
        self.answered = true;
        let head = String::from_utf8_lossy(&self.head);
        let line = head.lines().next().unwrap_or("");
        let parts: Vec<&str> = line.split(' ').collect();
        let [method, target, version] = parts[..] else {
            return response(out, "400 Bad Request", "", "bad request\n", true);
        };
        if !version.starts_with("HTTP/1.") {
            return response(out, "400 Bad Request", "", "bad request\n", true);
        }
        let head_only = method == "HEAD";
        match (method, target) {
            ("GET" | "HEAD", "/" | "/index.html") => response(out, "200 OK", "", PAGE, !head_only),
            ("GET" | "HEAD", _) => response(out, "404 Not Found", "", "not found\n", !head_only),
            _ => response(
                out,
                "405 Method Not Allowed",
                "Allow: GET, HEAD\r\n",
                "method not allowed\n",
                true,
            ),
        }
    }
}

impl Protocol for Http {
    fn input(&mut self, data: &[u8], out: &mut Vec<u8>) {
        if self.answered {
            return;
        }
        self.head.extend_from_slice(data);
        if self.head.windows(4).any(|w| w == b"\r\n\r\n")
            || self.head.windows(2).any(|w| w == b"\n\n")
        {
            self.answer(out);
        } else if self.head.len() > MAX_HEAD {
            self.answered = true;
            response(out, "400 Bad Request", "", "request head too long\n", true);
        }
    }

    fn peer_closed(&mut self, out: &mut Vec<u8>) {
        // A request cut short: answer what we can rather than closing silently.
        if !self.answered && !self.head.is_empty() {
            self.answer(out);
        }
    }

    fn done(&self) -> bool {
        self.answered
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(request: &[u8]) -> String {
        let mut h = Http::default();
        let mut out = Vec::new();
        // Byte by byte: the head may arrive in any pieces.
        for b in request {
            h.input(&[*b], &mut out);
        }
        h.peer_closed(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn statuses() {
        assert!(ask(b"GET / HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 200 OK\r\n"));
        let head = ask(b"HEAD / HTTP/1.0\r\n\r\n");
        assert!(
            head.ends_with("\r\n\r\n") && head.contains("200 OK"),
            "{head}"
        );
        assert!(ask(b"GET /nope HTTP/1.1\r\n\r\n").contains(" 404 "));
        assert!(ask(b"POST / HTTP/1.1\r\n\r\n").contains(" 405 "));
        assert!(ask(b"garbage\r\n\r\n").contains(" 400 "));
        assert!(ask(&vec![b'a'; MAX_HEAD + 1]).contains(" 400 "));
        assert_eq!(ask(b""), "");
    }
}
