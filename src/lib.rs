//! tcpip-fpga: re-exports the three crates so end-to-end tests can reach them.
pub use tcpip_hdl as hdl;
pub use tcpip_host as host;
pub use tcpip_sim as sim;
