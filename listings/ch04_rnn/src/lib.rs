//! Chapter 4 of *Deep Understanding of Deep Learning*: recurrent networks.
//!
//! The tanh RNN, the LSTM and the GRU written with dfdx ops ([`cells`]), gradient-norm
//! clipping ([`clipping`]), and the experiments: how far a gradient reaches back in time
//! ([`gradient_flow`]), the adding problem ([`adding`], [`train`]), exploding gradients
//! ([`exploding`]), the encoder–decoder bottleneck ([`bottleneck`]) and the LSTM's gates
//! ([`gates`]).

pub mod adding;
pub mod bottleneck;
pub mod bptt;
pub mod cells;
pub mod clipping;
pub mod exercises;
pub mod exploding;
pub mod figures;
pub mod gates;
pub mod gradient_flow;
pub mod train;

use adding::{BASELINE_MSE, INPUTS};
use anyhow::{anyhow, Context, Result};
use cells::{GruCell, LstmCell, RnnCell};
use dfdx::prelude::*;
use dudl::cli::Args;
use dudl::numbers::Numbers;
use dudl::progress::Progress;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use train::{held_out_set, Budget, CurvePoint, Method, Trained, HELD_OUT};

/// The device of this chapter: the CPU, also with `--features cuda`. Its
/// models train several at a time on separate threads, which a CUDA device
/// cannot be shared between, and gradient clipping rescales the gradients in
/// place in CPU memory.
pub type Dev = dfdx::tensor::Cpu;

/// The figures `cargo run --release -p ch04_rnn` writes into `images/ch04/`.
pub const FIGURES: &[&str] = &[
    "gradient_across_time.svg",
    "adding_curves.svg",
    "clipping.svg",
    "bottleneck.svg",
    "lstm_gates.svg",
];

/// Hidden units of the adding-problem and exploding-gradient cells.
pub const HIDDEN: usize = 16;
/// Hidden units of the encoder–decoder's GRUs.
pub const SEQ2SEQ_HIDDEN: usize = 32;
/// Length of the adding-problem sequences.
pub const ADDING_LEN: usize = 50;
/// Seeds the cells' initial weights (the same cells the gradient-flow figure
/// measures).
pub const CELL_SEED: u64 = 3;
/// Seeds the training stream of the adding problem.
pub const TRAIN_SEED: u64 = 1;
/// Seeds the random unit vectors `u` of the gradient-flow measurement.
pub const PROBE_SEED: u64 = 1;
/// Seeds the held-out adding-problem sequences.
pub const HELD_OUT_SEED: u64 = 99;
/// Spectral radius of the exploding RNN's recurrent weights, and of its tame
/// control.
pub const EXPLODING_RADIUS: f64 = 3.0;
pub const CONTROL_RADIUS: f64 = 0.9;
/// The gradient norm the clipped run is clipped to.
pub const CLIP_NORM: f64 = 1.0;

/// How long the experiments train.
#[derive(Clone, Debug, PartialEq)]
pub struct ChapterBudget {
    /// Adam steps of each cell on the adding problem.
    pub adding_steps: usize,
    /// Adam steps of each encoder–decoder.
    pub reversal_steps: usize,
    /// The sequence lengths of the bottleneck experiment.
    pub reversal_lengths: Vec<usize>,
}

impl ChapterBudget {
    /// What the book's figures and numbers come from.
    pub fn full() -> Self {
        ChapterBudget {
            adding_steps: 1000,
            reversal_steps: 1200,
            reversal_lengths: vec![5, 10, 20, 30, 40],
        }
    }

    /// Same code, smaller budget: what the tests run.
    pub fn quick() -> Self {
        ChapterBudget {
            adding_steps: 300,
            reversal_steps: 300,
            reversal_lengths: vec![5, 20],
        }
    }
}

/// The SGD run of the exploding-gradient experiment (the same in both budgets).
pub fn exploding_budget(clip: Option<f64>) -> Budget {
    Budget {
        steps: 300,
        len: ADDING_LEN,
        method: Method::Sgd,
        learning_rate: 0.1,
        clip,
        evaluations: 30,
        seed: TRAIN_SEED,
    }
}

/// The gradient across time at initialisation, `k = 0 … T`, for each cell.
#[derive(Clone, Debug, PartialEq)]
pub struct Flow {
    pub rnn: Vec<f64>,
    pub lstm: Vec<f64>,
    pub lstm_no_forget_bias: Vec<f64>,
    pub gru: Vec<f64>,
}

/// Everything the chapter measures.
pub struct Chapter {
    pub flow: Flow,
    pub rnn: Trained<RnnCell<INPUTS, HIDDEN>, HIDDEN>,
    pub lstm: Trained<LstmCell<INPUTS, HIDDEN>, HIDDEN>,
    pub gru: Trained<GruCell<INPUTS, HIDDEN>, HIDDEN>,
    /// MSE of predicting 1 on the held-out sequences (1/6 in expectation).
    pub held_out_baseline: f64,
    /// Control (ρ < 1), exploding (ρ > 1) unclipped, exploding clipped.
    pub exploding: [Vec<CurvePoint>; 3],
    /// Greedy held-out token accuracy per sequence length.
    pub reversal: Vec<(usize, f64)>,
    pub gates: Vec<gates::GateAverages>,
    pub numbers: Numbers,
}

/// The three cells at initialisation, built from [`CELL_SEED`] exactly as the
/// adding problem builds them.
pub fn initial_rnn() -> RnnCell<INPUTS, HIDDEN> {
    RnnCell::build(&Dev::seed_from_u64(CELL_SEED))
}

pub fn initial_lstm() -> LstmCell<INPUTS, HIDDEN> {
    LstmCell::build(&Dev::seed_from_u64(CELL_SEED)).with_forget_bias_one()
}

pub fn initial_gru() -> GruCell<INPUTS, HIDDEN> {
    GruCell::build(&Dev::seed_from_u64(CELL_SEED))
}

/// The gradient across time of the initial cells on the held-out sequences.
pub fn measure_flow() -> Flow {
    let dev = Dev::seed_from_u64(CELL_SEED);
    let xs = held_out_set(&dev, ADDING_LEN, HELD_OUT_SEED).xs;
    let lstm_plain =
        LstmCell::<INPUTS, HIDDEN>::build(&Dev::seed_from_u64(CELL_SEED));
    use gradient_flow::gradient_across_time as across;
    Flow {
        rnn: across(&initial_rnn(), &xs, PROBE_SEED),
        lstm: across(&initial_lstm(), &xs, PROBE_SEED),
        lstm_no_forget_bias: across(&lstm_plain, &xs, PROBE_SEED),
        gru: across(&initial_gru(), &xs, PROBE_SEED),
    }
}

/// Counts a finished job when dropped, also when the job panicked.
struct Finished<'a>(&'a AtomicUsize);

impl Drop for Finished<'_> {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// Runs every experiment, each independent model on a thread of its own, writes
/// [`FIGURES`] and `numbers.json` into `args.out_dir`, and returns what it
/// measured.
pub fn write_chapter(args: &Args) -> Result<Chapter> {
    let budget = if args.quick {
        ChapterBudget::quick()
    } else {
        ChapterBudget::full()
    };
    let flow = measure_flow();
    let held_out =
        held_out_set(&Dev::seed_from_u64(CELL_SEED), ADDING_LEN, HELD_OUT_SEED);
    let adding = Budget {
        steps: budget.adding_steps,
        len: ADDING_LEN,
        method: Method::Adam,
        learning_rate: 1e-2,
        clip: None,
        evaluations: 50,
        seed: TRAIN_SEED,
    };
    let reversal = bottleneck::Budget {
        steps: budget.reversal_steps,
        learning_rate: 1e-2,
        seed: 4,
    };
    let jobs = 6 + budget.reversal_lengths.len();
    let total_steps = 3 * adding.steps
        + 3 * exploding_budget(None).steps
        + budget.reversal_lengths.len() * reversal.steps;
    let (done, finished) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let (held_out, done_ref, finished_ref) = (&held_out, &done, &finished);
    let dev = |seed| Dev::seed_from_u64(seed);
    let outcome = std::thread::scope(|s| {
        let rnn = s.spawn(move || {
            let _finished = Finished(finished_ref);
            train::train(
                &dev(CELL_SEED),
                initial_rnn(),
                adding,
                held_out,
                done_ref,
            )
        });
        let lstm = s.spawn(move || {
            let _finished = Finished(finished_ref);
            train::train(
                &dev(CELL_SEED),
                initial_lstm(),
                adding,
                held_out,
                done_ref,
            )
        });
        let gru = s.spawn(move || {
            let _finished = Finished(finished_ref);
            train::train(
                &dev(CELL_SEED),
                initial_gru(),
                adding,
                held_out,
                done_ref,
            )
        });
        let exploding = [
            (CONTROL_RADIUS, None),
            (EXPLODING_RADIUS, None),
            (EXPLODING_RADIUS, Some(CLIP_NORM)),
        ]
        .map(|(radius, clip)| {
            s.spawn(move || {
                let _finished = Finished(finished_ref);
                let dev = dev(CELL_SEED);
                let cell = exploding::rnn_with_radius::<INPUTS, HIDDEN>(
                    &dev, radius, 7,
                );
                let budget = exploding_budget(clip);
                let trained =
                    train::train(&dev, cell, budget, held_out, done_ref)?;
                Ok::<_, anyhow::Error>(trained.curve)
            })
        });
        let reversals: Vec<_> = budget
            .reversal_lengths
            .iter()
            .map(|&len| {
                s.spawn(move || {
                    let _finished = Finished(finished_ref);
                    let accuracy =
                        bottleneck::reversal_accuracy::<SEQ2SEQ_HIDDEN>(
                            len, reversal, done_ref,
                        )?;
                    Ok::<_, anyhow::Error>((len, accuracy))
                })
            })
            .collect();
        let mut progress =
            Progress::new(format!("training {jobs} models"), total_steps);
        while finished_ref.load(Ordering::Relaxed) < jobs {
            progress.update(done_ref.load(Ordering::Relaxed), "");
            std::thread::sleep(Duration::from_millis(100));
        }
        let joined = |name: &str| anyhow!("the {name} thread panicked");
        let exploding =
            exploding.map(|h| h.join().map_err(|_| joined("exploding RNN")));
        let [control, unclipped, clipped] = exploding;
        let outcome = (
            rnn.join().map_err(|_| joined("RNN"))??,
            lstm.join().map_err(|_| joined("LSTM"))??,
            gru.join().map_err(|_| joined("GRU"))??,
            [control??, unclipped??, clipped??],
            reversals
                .into_iter()
                .map(|h| h.join().map_err(|_| joined("encoder-decoder"))?)
                .collect::<Result<Vec<_>>>()?,
        );
        progress.finish("done");
        Ok::<_, anyhow::Error>(outcome)
    })?;
    let (rnn, lstm, gru, exploding, reversal) = outcome;
    let held_out_baseline = {
        let targets = held_out.targets.as_vec();
        targets
            .iter()
            .map(|&y| (y as f64 - 1.0).powi(2))
            .sum::<f64>()
            / targets.len() as f64
    };
    let averages = gates::gate_averages(&lstm.model.cell, held_out);
    let selective = gates::most_selective(&averages)
        .context("the LSTM has no units")?
        .clone();
    let mut chapter = Chapter {
        flow,
        rnn,
        lstm,
        gru,
        held_out_baseline,
        exploding,
        reversal,
        gates: averages,
        numbers: Numbers::new(),
    };
    chapter.numbers = record_numbers(&chapter, &selective);
    write_figures(args, &chapter, selective.unit, held_out)?;
    chapter.numbers.write(&args.out_dir)?;
    Ok(chapter)
}

fn write_figures(
    args: &Args,
    chapter: &Chapter,
    unit: usize,
    held_out: &adding::AddingBatch<HELD_OUT>,
) -> Result<()> {
    let flow = &chapter.flow;
    figures::gradient_across_time(
        &args.figure(FIGURES[0]),
        &[
            ("tanh RNN", &flow.rnn),
            ("LSTM, forget bias 1", &flow.lstm),
            ("LSTM, forget bias 0", &flow.lstm_no_forget_bias),
            ("GRU", &flow.gru),
        ],
    )?;
    figures::adding_curves(
        &args.figure(FIGURES[1]),
        &[
            ("tanh RNN", &chapter.rnn.curve),
            ("LSTM", &chapter.lstm.curve),
            ("GRU", &chapter.gru.curve),
        ],
    )?;
    let [control, unclipped, clipped] = &chapter.exploding;
    figures::clipping(
        &args.figure(FIGURES[2]),
        &[
            ("ρ = 0.9, not clipped", control),
            ("ρ = 3, not clipped", unclipped),
            ("ρ = 3, clipped to 1", clipped),
        ],
    )?;
    figures::bottleneck(&args.figure(FIGURES[3]), &chapter.reversal)?;
    let trace = gates::gate_trace(&chapter.lstm.model.cell, held_out, 0);
    figures::lstm_gates(&args.figure(FIGURES[4]), &trace, unit, HIDDEN)
}

/// The first step at which a curve's held-out error is below `level`.
fn first_below(curve: &[CurvePoint], level: f64) -> Option<usize> {
    curve.iter().find(|p| p.held_out < level).map(|p| p.step)
}

/// The first step whose training loss overflowed.
pub fn first_overflow(curve: &[CurvePoint]) -> Option<usize> {
    curve.iter().find(|p| !p.loss.is_finite()).map(|p| p.step)
}

fn record_numbers(
    chapter: &Chapter,
    selective: &gates::GateAverages,
) -> Numbers {
    let mut n = Numbers::new();
    let flow = &chapter.flow;
    let far = ADDING_LEN;
    n.count("hidden", HIDDEN);
    n.count("adding_len", ADDING_LEN);
    n.count("batch", train::BATCH);
    n.count("held_out", HELD_OUT);
    n.scientific("flow_rnn", flow.rnn[far], 1);
    n.scientific("flow_lstm", flow.lstm[far], 1);
    n.scientific("flow_lstm_no_bias", flow.lstm_no_forget_bias[far], 1);
    n.scientific("flow_gru", flow.gru[far], 1);
    n.scientific("flow_ratio", flow.lstm[far] / flow.rnn[far], 0);
    n.fixed("flow_rnn_one_step", flow.rnn[1], 2);
    n.fixed("flow_lstm_one_step", flow.lstm[1], 2);
    n.fixed("held_out_baseline", chapter.held_out_baseline, 3);
    n.fixed("baseline", BASELINE_MSE, 3);
    n.count(
        "adding_steps",
        chapter.lstm.curve.last().map_or(0, |p| p.step),
    );
    n.fixed("rnn_mse", chapter.rnn.final_mse(), 3);
    n.fixed("lstm_mse", chapter.lstm.final_mse(), 4);
    n.fixed("gru_mse", chapter.gru.final_mse(), 4);
    for (key, curve) in
        [("lstm", &chapter.lstm.curve), ("gru", &chapter.gru.curve)]
    {
        let step = first_below(curve, 0.01).unwrap_or(0);
        n.count(&format!("{key}_step_below_001"), step);
    }
    let [control, unclipped, clipped] = &chapter.exploding;
    let first_norm = unclipped.first().map_or(0.0, |p| p.max_gradient_norm);
    n.scientific("explode_first_norm", first_norm, 1);
    n.count(
        "explode_overflow_step",
        first_overflow(unclipped).unwrap_or(0),
    );
    n.fixed(
        "explode_clipped_loss",
        clipped.last().map_or(f64::NAN, |p| p.loss),
        3,
    );
    n.fixed(
        "explode_control_loss",
        control.last().map_or(f64::NAN, |p| p.loss),
        3,
    );
    let clipped_max = clipped
        .iter()
        .map(|p| p.max_gradient_norm)
        .fold(0.0, f64::max);
    n.scientific("explode_clipped_max_norm", clipped_max, 1);
    for &(len, accuracy) in &chapter.reversal {
        n.percent(&format!("reversal_{len}"), accuracy, 1);
    }
    if let (Some(first), Some(last)) =
        (chapter.reversal.first(), chapter.reversal.last())
    {
        n.percent("reversal_drop", first.1 - last.1, 1);
    }
    n.count("gate_unit", selective.unit);
    n.fixed("gate_input_marked", selective.input_marked, 2);
    n.fixed("gate_input_unmarked", selective.input_unmarked, 2);
    n.fixed("gate_forget_marked", selective.forget_marked, 2);
    n.fixed("gate_forget_unmarked", selective.forget_unmarked, 2);
    let mean = |f: fn(&gates::GateAverages) -> f64| {
        chapter.gates.iter().map(f).sum::<f64>() / chapter.gates.len() as f64
    };
    n.fixed("gates_mean_input_marked", mean(|g| g.input_marked), 2);
    n.fixed("gates_mean_input_unmarked", mean(|g| g.input_unmarked), 2);
    n.count(
        "lstm_parameters",
        exercises::lstm_parameters(INPUTS, HIDDEN),
    );
    n
}

/// The chapter binary: runs the experiments, writes the figures and prints the
/// numbers.
pub fn run(args: &Args) -> Result<()> {
    let started = Instant::now();
    let chapter = write_chapter(args)?;
    chapter.numbers.print();
    println!("figures written to {}", args.out_dir.display());
    println!("elapsed: {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}
