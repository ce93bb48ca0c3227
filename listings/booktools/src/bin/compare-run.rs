//! `compare-run COMMITTED RERUN`: lists every number and figure of a chapter's rerun (in the
//! directory RERUN) that differs from the committed outputs (COMMITTED, `images/chNN/`), and
//! exits with 1 when there is any. `scripts/reproduce.sh` calls it for each chapter.

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [committed, rerun] = &args[..] else {
        eprintln!("usage: compare-run COMMITTED_DIR RERUN_DIR");
        return ExitCode::from(2);
    };
    match booktools::compare::compare(Path::new(committed), Path::new(rerun)) {
        Ok(differences) if differences.is_empty() => ExitCode::SUCCESS,
        Ok(differences) => {
            for difference in differences {
                eprintln!("  {committed}/{difference}");
            }
            ExitCode::FAILURE
        }
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
