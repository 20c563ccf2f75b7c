//! rqctl: the non-interactive front-end. All logic lives in the library.

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    rqtop::cli::main().await
}
