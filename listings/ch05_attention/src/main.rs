fn main() {
    let t = std::time::Instant::now();
    let budget = if std::env::args().any(|a| a == "--quick") { ch05_attention::train::Budget::quick() } else { ch05_attention::train::Budget::full() };
    let trained = ch05_attention::train::train(budget).unwrap();
    for p in &trained.curve { println!("{} {:.4} {:?}", p.step, p.loss, p.evaluation); }
    println!("{:.1}s", t.elapsed().as_secs_f64());
}
