//! Prints the Verilog of the whole Alchitry Cu top level, as `tcpip synth` feeds it to
//! yosys: `cargo run -p tcpip-hdl --example top_verilog > top.v`.
fn main() {
    print!("{}", tcpip_hdl::board::alchitry_cu::top_verilog());
}
