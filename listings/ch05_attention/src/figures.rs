//! The chapter's figures, drawn from a trained model and from the from-scratch pieces.

use crate::positional::sinusoidal_encoding;
use crate::reversal::{Sequence, SEQ_LEN};
use crate::train::{greedy_decode, CurvePoint, Evaluation};
use crate::transformer::{Reverser, D_MODEL, HEADS};
use anyhow::Result;
use dudl::figure::{save_svg, Colormap, Heatmap, Legend, LineChart, Panel};
use dudl::Dev;
use std::path::Path;

/// Positions shown in the positional-encoding figure, `0..=60` (labelled every 10).
pub const PE_POSITIONS: usize = 61;

fn labels(tokens: &[usize]) -> Vec<String> {
    tokens.iter().map(|t| t.to_string()).collect()
}

/// One heatmap per head of the decoder's cross-attention while it greedily decodes `sequence`:
/// rows are output positions (labelled with the decoded digit), columns are input positions
/// (labelled with the input digit).
pub fn attention_heads(
    path: &Path,
    model: &Reverser,
    sequence: &Sequence,
    evaluation: &Evaluation,
) -> Result<()> {
    let decoded = greedy_decode::<1>(model, &[*sequence]);
    let weights = decoded.cross_attention.as_vec();
    let heatmaps: Vec<Heatmap> = (0..HEADS)
        .map(|h| Heatmap {
            title: format!(
                "cross-attention head {}: {:.0}% of rows peak on the mirror",
                h + 1,
                100.0 * evaluation.alignment[h]
            ),
            x_label: "key: input digit, position 0 → 9".into(),
            y_label: "query: output digit".into(),
            values: weights[h * SEQ_LEN * SEQ_LEN..][..SEQ_LEN * SEQ_LEN]
                .to_vec(),
            rows: SEQ_LEN,
            cols: SEQ_LEN,
            x_ticks: labels(sequence),
            y_ticks: labels(&decoded.outputs[0]),
            colormap: Colormap::Viridis,
            range: (0.0, 1.0),
        })
        .collect();
    let panels: Vec<&dyn Panel> =
        heatmaps.iter().map(|h| h as &dyn Panel).collect();
    save_svg(path, &panels, 2)
}

/// The sinusoidal encoding of positions `0..PE_POSITIONS` in `D_MODEL` dimensions.
pub fn positional_encoding(path: &Path, dev: &Dev) -> Result<()> {
    let heatmap = Heatmap {
        title: format!("sinusoidal positional encoding, d_model = {D_MODEL}"),
        x_label: "dimension j".into(),
        y_label: "position t".into(),
        values: sinusoidal_encoding::<PE_POSITIONS, D_MODEL>(dev).as_vec(),
        rows: PE_POSITIONS,
        cols: D_MODEL,
        x_ticks: Vec::new(),
        y_ticks: (0..PE_POSITIONS)
            .map(|t| {
                if t % 10 == 0 {
                    t.to_string()
                } else {
                    String::new()
                }
            })
            .collect(),
        colormap: Colormap::Diverging,
        range: (-1.0, 1.0),
    };
    save_svg(path, &[&heatmap], 1)
}

/// Training loss (log scale) and held-out accuracy against the step.
pub fn training_curves(path: &Path, curve: &[CurvePoint]) -> Result<()> {
    let at = |f: fn(&CurvePoint) -> f64| {
        curve.iter().map(move |p| (p.step as f64, f(p)))
    };
    let loss =
        LineChart::new("training loss", "Adam step", "cross-entropy (nats)")
            .line("training batches", at(|p| p.loss))
            .log_y();
    let accuracy =
        LineChart::new("held-out accuracy and alignment", "Adam step", "share")
            .line("tokens", at(|p| p.evaluation.token_accuracy))
            .line("whole sequences", at(|p| p.evaluation.sequence_accuracy))
            .line("best head's alignment", at(|p| p.evaluation.best_head().1))
            .y_range(0.0, 1.0)
            .legend(Legend::LowerRight);
    save_svg(path, &[&loss, &accuracy], 2)
}

/// The decoder's causal self-attention while it greedily decodes `sequence`, averaged over
/// the heads: `(T, T)` row by row, query position × key position.
pub fn decoder_self_attention(
    model: &Reverser,
    sequence: &Sequence,
) -> Vec<f32> {
    let weights = greedy_decode::<1>(model, &[*sequence])
        .self_attention
        .as_vec();
    let per_head = SEQ_LEN * SEQ_LEN;
    (0..per_head)
        .map(|n| {
            (0..HEADS).map(|h| weights[h * per_head + n]).sum::<f32>()
                / HEADS as f32
        })
        .collect()
}

/// The causal mask (which keys each query may see) next to the weights the trained decoder
/// puts on its own inputs under it.
pub fn causal(
    path: &Path,
    model: &Reverser,
    sequence: &Sequence,
) -> Result<()> {
    let allowed = (0..SEQ_LEN * SEQ_LEN)
        .map(|n| if n % SEQ_LEN > n / SEQ_LEN { 0.0 } else { 1.0 })
        .collect();
    let heatmap = |title: &str, values, colormap| Heatmap {
        title: title.into(),
        x_label: "key position".into(),
        y_label: "query position".into(),
        values,
        rows: SEQ_LEN,
        cols: SEQ_LEN,
        x_ticks: Vec::new(),
        y_ticks: Vec::new(),
        colormap,
        range: (0.0, 1.0),
    };
    let mask = heatmap(
        "causal mask: white = may attend (adds 0), black = adds -inf",
        allowed,
        Colormap::Gray,
    );
    let weights = heatmap(
        "trained decoder self-attention, mean of 4 heads",
        decoder_self_attention(model, sequence),
        Colormap::Viridis,
    );
    save_svg(path, &[&mask, &weights], 2)
}
