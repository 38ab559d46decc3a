//! Logs go to stderr, never stdout (which carries plans and reports).

pub fn init(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "psrt=debug,info",
        _ => "psrt=trace,debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("PSRT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
