use clap::Parser;
use goto_operator::cli::{Cli, Command, ReportCommand};
use goto_operator::{controller, crd, export, preview, probe, report, simulator, telemetry};

/// jemalloc rather than glibc's malloc: an operator's heap is many small objects freed in
/// another order than allocated (watch events, reconciles), which glibc's arenas keep as
/// fragments; with jemalloc the steady-state RSS at 5,000 organizers is far lower (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    telemetry::init(cli.log_format);
    let result = match cli.command {
        Command::Run(args) => controller::run(args).await,
        Command::Crds => {
            print!("{}", crd::all_yaml());
            Ok(())
        }
        Command::Simulate(args) => simulator::serve(args).await,
        Command::Report(ReportCommand::Attendance(args)) => report::attendance(args).await,
        Command::Export(args) => export::run(args).await,
        Command::Plan(args) => match preview::run(args).await {
            // 0: nothing to do, 2: changes (like `terraform plan -detailed-exitcode`).
            Ok(code) => std::process::exit(code),
            Err(err) => Err(err),
        },
        Command::Probe { url } => probe::probe(&url).await.map(|status| println!("{status}")),
    };
    if let Err(err) = result {
        eprintln!("error: {err}");
        std::process::exit(1);
    }
}
