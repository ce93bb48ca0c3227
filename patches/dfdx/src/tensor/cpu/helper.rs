//! dudl: a second thread for the halves of large CPU kernels (patches/README.md).
//!
//! `join(left, right)` runs `left` on the calling thread and `right` on one
//! helper thread, and returns when both are done. The helper spins for a
//! while after each job before it sleeps, so that the next product of a
//! training step finds it awake: waking a sleeping thread costs tens of
//! microseconds, as long as a small product takes. If the helper has not
//! started `right` by the time `left` is done, the caller takes it back and
//! runs it itself, so a join is never slower than running both halves in
//! turn by more than a few atomic operations. If another thread's job holds
//! the helper, the caller runs both halves itself.
//!
//! Each half computes its own elements exactly as the whole would, so results
//! do not depend on which thread ran which half.

use std::cell::UnsafeCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::OnceLock;
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

/// No job: a caller may claim the helper.
const IDLE: u8 = 0;
/// A caller owns the helper's slot (writing a job, or running a job it took back).
const CLAIMED: u8 = 1;
/// A job waits for the helper.
const POSTED: u8 = 2;
/// The helper runs the job.
const RUNNING: u8 = 3;
/// The helper has finished the job.
const DONE: u8 = 4;

/// How long the helper spins after a job before it sleeps.
const SPIN: Duration = Duration::from_millis(1);

static STATE: AtomicU8 = AtomicU8::new(IDLE);
static PANICKED: AtomicBool = AtomicBool::new(false);
static JOB: JobSlot = JobSlot(UnsafeCell::new(None));
static HELPER: OnceLock<Option<Thread>> = OnceLock::new();

/// The posted job: a closure on the caller's stack, its lifetime erased.
/// Written only by the caller that holds `CLAIMED`, read only by the helper
/// after it moved `POSTED` to `RUNNING`; the caller waits for `DONE` before
/// the closure goes out of scope.
struct JobSlot(UnsafeCell<Option<*mut (dyn FnMut() + Send)>>);

// SAFETY: access is serialised by `STATE`, as described on `JobSlot`.
unsafe impl Sync for JobSlot {}

/// The helper thread, started on first use; `None` with a single thread
/// (`RAYON_NUM_THREADS=1`, one processor, or dfdx without its `cpu` feature).
fn helper() -> Option<&'static Thread> {
    HELPER
        .get_or_init(|| {
            #[cfg(feature = "cpu")]
            let threads = rayon::current_num_threads();
            #[cfg(not(feature = "cpu"))]
            let threads = 1;
            if threads < 2 {
                return None;
            }
            thread::Builder::new()
                .name("dfdx-helper".into())
                .spawn(helper_loop)
                .ok()
                .map(|handle| handle.thread().clone())
        })
        .as_ref()
}

fn helper_loop() {
    let mut idle_since = Instant::now();
    loop {
        if STATE
            .compare_exchange(POSTED, RUNNING, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
        {
            // SAFETY: the caller wrote the job before `POSTED` and keeps the
            // closure alive until it sees `DONE`.
            let job = unsafe { (*JOB.0.get()).expect("a posted job") };
            let result = catch_unwind(AssertUnwindSafe(|| unsafe { (*job)() }));
            PANICKED.store(result.is_err(), Ordering::Relaxed);
            STATE.store(DONE, Ordering::Release);
            idle_since = Instant::now();
        } else if idle_since.elapsed() < SPIN {
            for _ in 0..32 {
                std::hint::spin_loop();
            }
            thread::yield_now();
        } else {
            thread::park();
        }
    }
}

/// Runs `left` here and `right` on the helper thread; returns when both are
/// done. Panics if either panicked. Public as `dfdx::tensor::cpu_join` for the
/// book's convolution and pooling.
pub fn join(left: impl FnOnce(), right: impl FnOnce() + Send) {
    let helper = match helper() {
        Some(helper) => helper,
        None => return both_here(left, right),
    };
    if STATE
        .compare_exchange(IDLE, CLAIMED, Ordering::Acquire, Ordering::Relaxed)
        .is_err()
    {
        return both_here(left, right);
    }
    let mut right = Some(right);
    let mut call = || {
        if let Some(right) = right.take() {
            right();
        }
    };
    let job: *mut (dyn FnMut() + Send + '_) = &mut call;
    // SAFETY: only the lifetime is erased; `Finish` below does not let this
    // function return or unwind before the helper is done with the job.
    let job: *mut (dyn FnMut() + Send + 'static) = unsafe { std::mem::transmute(job) };
    unsafe { *JOB.0.get() = Some(job) };
    STATE.store(POSTED, Ordering::Release);
    helper.unpark();
    let finish = Finish;
    left();
    drop(finish);
    call(); // `right`, if the caller took it back
}

fn both_here(left: impl FnOnce(), right: impl FnOnce()) {
    left();
    right();
}

/// Ends a join, also when `left` panics: takes the job back if the helper has
/// not started it, else waits for it, then frees the helper.
struct Finish;

impl Drop for Finish {
    fn drop(&mut self) {
        let taken_back = STATE
            .compare_exchange(POSTED, CLAIMED, Ordering::Acquire, Ordering::Relaxed)
            .is_ok();
        let mut panicked = false;
        if !taken_back {
            let mut spins = 0u32;
            while STATE.load(Ordering::Acquire) != DONE {
                spins += 1;
                if spins % 64 == 0 {
                    thread::yield_now();
                } else {
                    std::hint::spin_loop();
                }
            }
            panicked = PANICKED.load(Ordering::Relaxed);
        }
        unsafe { *JOB.0.get() = None };
        STATE.store(IDLE, Ordering::Release);
        if panicked && !thread::panicking() {
            panic!("the helper thread's half of a kernel panicked");
        }
    }
}

/// Buffers of at least this many elements are worth splitting between two
/// threads for an elementwise kernel (PyTorch's grain size is the same).
pub(crate) const SPLIT_MIN_ELEMENTS: usize = 1 << 15;

/// Runs `kernel(outputs, inputs)` on matching slices: whole when `outputs`
/// are shorter than `SPLIT_MIN_ELEMENTS`, else on their two halves, one on
/// the helper thread. `inputs` must be at least as long as `outputs[0]`,
/// and all `outputs` as long as it; the kernel sees each at the same
/// offsets. An elementwise kernel computes the same values either way.
pub(crate) fn halves<E: Send + Sync, const M: usize, const N: usize>(
    outputs: [&mut [E]; M],
    inputs: [&[E]; N],
    kernel: &(impl Fn([&mut [E]; M], [&[E]; N]) + Sync),
) {
    let len = outputs.first().map_or(0, |o| o.len());
    let inputs = inputs.map(|i| &i[..len]);
    if len < SPLIT_MIN_ELEMENTS {
        return kernel(outputs, inputs);
    }
    let mid = len / 2;
    let mut pairs = outputs.map(|o| {
        let (first, second) = o.split_at_mut(mid);
        (Some(first), Some(second))
    });
    let firsts = std::array::from_fn(|i| pairs[i].0.take().expect("split once"));
    let seconds = std::array::from_fn(|i| pairs[i].1.take().expect("split once"));
    join(
        || kernel(firsts, inputs.map(|i| &i[..mid])),
        || kernel(seconds, inputs.map(|i| &i[mid..])),
    );
}
