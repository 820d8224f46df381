use clap::Parser;
use goto_operator::cli::{Cli, Command, ReportCommand};
use goto_operator::{controller, crd, export, preview, probe, report, simulator, telemetry};

/// jemalloc rather than glibc's malloc: an operator's heap is many small objects freed in
/// another order than allocated (watch events, reconciles), which glibc's arenas keep as
/// fragments; with jemalloc the steady-state RSS at 5,000 organizers is far lower (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, read before `main` (its `malloc_conf`, under the crate's `_rjem_` symbol
/// prefix; `_RJEM_MALLOC_CONF` in the environment still overrides them). Pages freed after a
/// burst (an import, a re-list) go back to the system at once (`dirty_decay_ms:0`), rather than
/// after jemalloc's default 10 s; a background thread does the rest of its upkeep; and two
/// arenas, not eight on two cores, hold fewer half-used pages. At 20,000 organizers the peak RSS
/// is what is measured against the goal: 118.0 MiB with a 1 s decay, 103.9 MiB with none, at no
/// measured CPU cost (docs/benchmarks.md).
#[used]
#[unsafe(export_name = "_rjem_malloc_conf")]
static MALLOC_CONF: &[u8; 67] =
    b"background_thread:true,narenas:2,dirty_decay_ms:0,muzzy_decay_ms:0\0";

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
