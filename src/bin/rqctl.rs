//! rqctl: the non-interactive front-end. All logic lives in the library.

// The failure scan decodes tracebacks on other threads than the one that reads them: with
// glibc's allocator a third of `rqctl failures` went to arena locks and cross-thread frees,
// which mimalloc's thread-local heaps avoid. Without transparent huge pages its resident
// memory stays small for the long-running `metrics --listen`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    rqtop::cli::main().await
}
