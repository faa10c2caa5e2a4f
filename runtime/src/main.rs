fn main() -> std::process::ExitCode {
    chaosrt::cli::main()
}
