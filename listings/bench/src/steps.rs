//! Each chapter's main training step, built from the chapter crate's public
//! code: the same model, batch size and optimizer as the chapter trains, on
//! data of the chapter's shape. `twins/chNN.py` builds the same in PyTorch.

use anyhow::{anyhow, Result};
use dfdx::optim::{Adam, AdamConfig};
use dfdx::prelude::*;
use dudl::Dev;

/// A chapter's training step, ready to run again and again.
pub type Step = Box<dyn FnMut() -> Result<()>>;

/// One chapter's benchmark: what it trains and how to build its step.
pub struct Chapter {
    /// `"ch05"`: the twin is `twins/ch05.py`, the numbers are keyed `ch05_…`.
    pub id: &'static str,
    /// The chapter crate, whose binary is the chapter's full run.
    pub krate: &'static str,
    /// What one step is, for the table.
    pub step: &'static str,
    /// Builds the step; `None` when only the full run is timed.
    pub build: Option<fn() -> Result<Step>>,
}

/// Every chapter, in order.
pub const CHAPTERS: &[Chapter] = &[
    Chapter {
        id: "ch01",
        krate: "ch01_fundamentals",
        step: "MLP 2-16-16-1, B=32, SGD",
        build: Some(ch01),
    },
    Chapter {
        id: "ch02",
        krate: "ch02_optimization",
        step: "MLP 64-32-32-10, B=32, Adam",
        build: Some(ch02),
    },
    Chapter {
        id: "ch03",
        krate: "ch03_cnn",
        step: "LeNet 28x28, B=32, Adam",
        build: Some(ch03),
    },
    Chapter {
        id: "ch04",
        krate: "ch04_rnn",
        step: "LSTM H=16, T=50, B=32, Adam",
        build: Some(ch04),
    },
    Chapter {
        id: "ch05",
        krate: "ch05_attention",
        step: "encoder-decoder, B=64, Adam",
        build: Some(ch05),
    },
    Chapter {
        id: "ch06",
        krate: "ch06_autoencoders",
        step: "VAE 784-128-16, B=100, Adam",
        build: Some(ch06),
    },
    Chapter {
        id: "ch07",
        krate: "ch07_gans",
        step: "digit GAN (D and G), B=64, Adam",
        build: Some(ch07),
    },
    Chapter {
        id: "ch08",
        krate: "ch08_diffusion",
        step: "pixel eps-MLP 228-256x3-196, B=128, Adam",
        build: Some(ch08),
    },
    Chapter {
        id: "ch09",
        krate: "ch09_explainability",
        step: "CNN 32x32 shapes, B=32, Adam",
        build: Some(ch09),
    },
    Chapter {
        id: "ch10",
        krate: "ch10_lora",
        step: "LoRA r=4 MLP 64-128-128-5, B=32",
        build: Some(ch10),
    },
];

/// The zeroed gradients a step hands to the next, or an error if a step
/// failed half-way and kept them.
fn take<D: Device<f32>>(grads: &mut Option<Gradients<f32, D>>) -> Result<Gradients<f32, D>> {
    grads
        .take()
        .ok_or_else(|| anyhow!("an earlier step failed"))
}

/// The end of every hand-written step, as the chapters' loops end theirs:
/// read the loss (which waits for it), backpropagate, let `opt` update
/// `model`, and return the zeroed gradients for the next step's trace.
fn descend<M, O, D>(
    model: &mut M,
    opt: &mut O,
    loss: Tensor<Rank0, f32, D, OwnedTape<f32, D>>,
) -> Result<Gradients<f32, D>>
where
    M: TensorCollection<f32, D>,
    O: Optimizer<M, D, f32>,
    D: Device<f32> + TensorToArray<Rank0, f32>,
{
    let _ = loss.array();
    let mut grads = loss.backward();
    opt.update(model, &grads)
        .map_err(|err| anyhow!("optimizer step: {err:?}"))?;
    model.zero_grads(&mut grads);
    Ok(grads)
}

/// Chapter 1: one SGD step of the dfdx 2-16-16-1 tanh MLP on 32 points of
/// the two moons, as `mlp_dfdx::train` takes it.
fn ch01() -> Result<Step> {
    use ch01_fundamentals::mlp_dfdx::{batch_tensors, MoonsArch};
    use ch01_fundamentals::training::{moons, Budget, BATCH};
    use dfdx::optim::{Sgd, SgdConfig};
    let dev = Dev::seed_from_u64(3);
    let mut model = dev.build_module::<MoonsArch, f32>();
    let config = SgdConfig {
        lr: Budget::new(false).lr,
        momentum: None,
        weight_decay: None,
    };
    let mut sgd = Sgd::new(&model, config);
    let (train, _) = moons();
    let ids: Vec<usize> = (0..BATCH).collect();
    let mut grads = Some(model.alloc_grads());
    Ok(Box::new(move || {
        let (x, y) = batch_tensors(&dev, &train, &ids)?;
        let logits = model.forward_mut(x.traced(take(&mut grads)?));
        let loss = mse_loss(logits.sigmoid(), y);
        grads = Some(descend(&mut model, &mut sgd, loss)?);
        Ok(())
    }))
}

/// Chapter 2: one Adam step of the 64-32-32-10 MLP on 32 digits, as
/// `task::train` takes it (`loss_and_grads`, then the update).
fn ch02() -> Result<Step> {
    use ch02_optimization::experiments::BATCH;
    use ch02_optimization::task::{loss_and_grads, split, Method, MlpArch};
    use ch02_optimization::Dev; // the chapter's own device: the CPU
    let dev = Dev::seed_from_u64(23);
    let mut model = dev.build_module::<MlpArch, f32>();
    let method = Method::Adam(AdamConfig {
        lr: 1e-3,
        ..Default::default()
    });
    let mut opt = method.build(&model);
    let data = split()?.train;
    let ids: Vec<usize> = (0..BATCH).collect();
    Ok(Box::new(move || {
        let (x, y) = data.batch(&dev, &ids);
        let (_, grads) = loss_and_grads(&mut model, x, y);
        opt.set_lr(1e-3);
        opt.update(&mut model, &grads)
    }))
}

/// Chapter 3: one Adam step of LeNet on 32 MNIST digits (`train::train_step`).
fn ch03() -> Result<Step> {
    use ch03_cnn::models::LeNet;
    use ch03_cnn::train::{train_step, BATCH};
    use ch03_cnn::LEARNING_RATE;
    use dudl::data::mnist::{CLASSES, SIDE};
    let dev = Dev::seed_from_u64(1);
    dev.enable_cache(); // as the chapter trains
    let mut model = dev.build_module::<LeNet, f32>();
    let config = AdamConfig {
        lr: LEARNING_RATE,
        ..Default::default()
    };
    let mut adam = Adam::new(&model, config);
    let mut grads = Some(model.alloc_grads());
    let images = dev.sample_uniform_like(&(Const::<BATCH>, Const::<1>, SIDE, SIDE));
    let labels = dev
        .sample_normal::<Rank2<BATCH, CLASSES>>()
        .softmax::<Axis<1>>();
    Ok(Box::new(move || {
        let batch = (images.clone(), labels.clone());
        let (_, used) = train_step(&mut model, &mut adam, take(&mut grads)?, batch)?;
        grads = Some(used);
        Ok(())
    }))
}

/// Chapter 4: one Adam step of the LSTM (16 units) with its read-out on 32
/// adding-problem sequences of length 50, backpropagated through time
/// (`train::train_step`, sampling a fresh batch as the chapter does).
fn ch04() -> Result<Step> {
    use ch04_rnn::adding::sample;
    use ch04_rnn::train::{train_step, Regressor, BATCH};
    use ch04_rnn::{initial_lstm, Dev, ADDING_LEN};
    use rand::{rngs::StdRng, SeedableRng};
    let dev = Dev::seed_from_u64(3);
    let mut model = Regressor {
        cell: initial_lstm(),
        readout: dev.build_module::<dfdx::nn::builders::Linear<16, 1>, f32>(),
    };
    let config = AdamConfig {
        lr: 1e-2,
        ..Default::default()
    };
    let mut adam = Adam::new(&model, config);
    let mut grads = Some(model.alloc_grads());
    let mut rng = StdRng::seed_from_u64(1);
    Ok(Box::new(move || {
        let batch = sample::<BATCH>(&dev, &mut rng, ADDING_LEN);
        let zeroed = take(&mut grads)?;
        let (_, _, used) = train_step(&mut model, &mut adam, zeroed, batch, None)?;
        grads = Some(used);
        Ok(())
    }))
}

/// Chapter 5: one teacher-forced Adam step of the reverser on a batch of 64
/// sequences of 10 digits (`train::train_step`, as the chapter calls it).
fn ch05() -> Result<Step> {
    use ch05_attention::reversal::{held_out_set, Sampler};
    use ch05_attention::train::{train_step, BATCH};
    use ch05_attention::transformer::{Design, Reverser};
    let dev = Dev::seed_from_u64(5);
    dev.enable_cache(); // as the chapter trains
    let mut model = Reverser::with_design(&dev, Design::FULL);
    let config = AdamConfig {
        lr: 1e-3,
        ..Default::default()
    };
    let mut adam = Adam::new(&model, config);
    let mut grads = Some(model.alloc_grads());
    let mut sampler = Sampler::new(7, &held_out_set(BATCH, 6));
    let batch = sampler.batch::<BATCH>();
    Ok(Box::new(move || {
        let zeroed = take(&mut grads)?;
        let (_, used) = train_step(&mut model, &mut adam, zeroed, &batch)?;
        grads = Some(used);
        Ok(())
    }))
}

/// Chapter 6: one Adam step of the VAE with a 16-number code on 100 binarised
/// digits (`train::vae_loss` with β = 1, as `train::fit` takes it).
fn ch06() -> Result<Step> {
    use ch06_autoencoders::models::Vae;
    use ch06_autoencoders::train::{vae_loss, BATCH};
    use ch06_autoencoders::{Dev, LATENT};
    use dudl::data::mnist::PIXELS;
    let dev = Dev::seed_from_u64(12);
    dev.enable_cache(); // as `train_vae` does
    let mut vae = Vae::<LATENT>::build(&dev);
    let config = AdamConfig {
        lr: 1e-3,
        ..Default::default()
    };
    let mut adam = Adam::new(&vae, config);
    let mut grads = Some(vae.alloc_grads());
    let pixels = (0..BATCH * PIXELS).map(|i| (i % 3 == 0) as u8 as f32);
    let x: Tensor<Rank2<BATCH, PIXELS>, f32, Dev> =
        dev.tensor_from_vec(pixels.collect(), (Const, Const));
    Ok(Box::new(move || {
        let traced = x.clone().traced(take(&mut grads)?);
        let (loss, _) = vae_loss(&vae, traced, x.clone(), dev.sample_normal(), 1.0);
        grads = Some(descend(&mut vae, &mut adam, loss)?);
        Ok(())
    }))
}

/// Chapter 7: one step of the digit GAN, the discriminator's then the
/// generator's, on 64 real images, as the loop of `digits::train_gan` takes it.
fn ch07() -> Result<Step> {
    use ch07_gans::digits::{DigitDiscriminator, DigitGenerator, BATCH, LATENT};
    use dudl::data::mnist::PIXELS;
    let dev = Cpu::seed_from_u64(7);
    let mut g = dev.build_module::<DigitGenerator, f32>();
    let mut d = dev.build_module::<DigitDiscriminator, f32>();
    let config = AdamConfig {
        lr: 2e-4,
        betas: [0.5, 0.999],
        ..Default::default()
    };
    let (mut g_opt, mut d_opt) = (Adam::new(&g, config), Adam::new(&d, config));
    let (mut g_grads, mut d_grads) = (Some(g.alloc_grads()), Some(d.alloc_grads()));
    let ones = dev.ones::<Rank2<BATCH, 1>>();
    let zeros = dev.zeros::<Rank2<BATCH, 1>>();
    let smooth = dev.ones::<Rank2<BATCH, 1>>() * 0.9;
    let real = dev.sample_uniform::<Rank2<BATCH, PIXELS>>() * 2.0 - 1.0;
    Ok(Box::new(move || {
        let z: Tensor<Rank2<BATCH, LATENT>, f32, _> = dev.sample_normal();
        let fake = g.forward(z);
        let real_logits = d.forward(real.trace(take(&mut d_grads)?));
        let fake_logits = d.forward(fake.trace(d.alloc_grads()));
        let d_loss = binary_cross_entropy_with_logits_loss(real_logits, smooth.clone())
            + binary_cross_entropy_with_logits_loss(fake_logits, zeros.clone());
        d_grads = Some(descend(&mut d, &mut d_opt, d_loss)?);
        let z: Tensor<Rank2<BATCH, LATENT>, f32, _> = dev.sample_normal();
        let g_loss = binary_cross_entropy_with_logits_loss(
            d.forward(g.forward(z.trace(take(&mut g_grads)?))),
            ones.clone(),
        );
        g_grads = Some(descend(&mut g, &mut g_opt, g_loss)?);
        Ok(())
    }))
}

/// Chapter 9: one Adam step of the shape classifier (three convolutions,
/// global average pooling) on 32 canvases of 32×32, as `model::train` takes it.
fn ch09() -> Result<Step> {
    use ch09_explainability::model::{Net, BATCH};
    use ch09_explainability::shapes::{CLASSES, SIDE};
    let dev = Cpu::seed_from_u64(9);
    dev.enable_cache(); // as the chapter trains
    let mut model = dev.build_module::<Net<CLASSES>, f32>();
    let config = AdamConfig {
        lr: 3e-3,
        ..Default::default()
    };
    let mut adam = Adam::new(&model, config);
    let mut grads = Some(model.alloc_grads());
    let images = dev.sample_uniform_like(&(Const::<BATCH>, Const::<1>, SIDE, SIDE));
    let labels = dev
        .sample_normal::<Rank2<BATCH, CLASSES>>()
        .softmax::<Axis<1>>();
    Ok(Box::new(move || {
        let logits = model.forward(images.clone().trace(take(&mut grads)?));
        let loss = cross_entropy_with_logits_loss(logits, labels.clone());
        grads = Some(descend(&mut model, &mut adam, loss)?);
        Ok(())
    }))
}

/// Chapter 8: one Adam step of the pixel-space ε-predictor (196 pixels and
/// a 32-wide time code in, three ReLU layers of 256 and a linear skip, 196
/// out) on 128 digits under the 1,000-step linear schedule: the chapter's
/// own `model::train_step`, noise and time embedding included.
fn ch08() -> Result<Step> {
    use ch08_diffusion::digits::{PixelNet, PIXELS};
    use ch08_diffusion::model::{train_step, EpsMlp, EMBED};
    use ch08_diffusion::schedule::Schedule;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};
    let dev = Cpu::seed_from_u64(8);
    let mut net: PixelNet = dev.build_module::<EpsMlp<{ PIXELS + EMBED }, 256, PIXELS>, f32>();
    let config = AdamConfig {
        lr: 2e-3,
        ..Default::default()
    };
    let mut adam = Adam::new(&net, config);
    let schedule = Schedule::linear(1000, 1e-4, 0.02);
    let mut rng = StdRng::seed_from_u64(8);
    let digits: Vec<[f32; PIXELS]> = (0..128)
        .map(|_| std::array::from_fn(|_| rng.gen_range(-1.0..1.0)))
        .collect();
    Ok(Box::new(move || {
        train_step(&mut net, &mut adam, &schedule, &digits, &mut rng)?;
        Ok(())
    }))
}

/// Chapter 10: one Adam step of the rank-4 LoRA adaptation of the pretrained
/// 64-128-128-5 MLP on 32 digits, as `adapt::train` takes it.
fn ch10() -> Result<Step> {
    use ch10_lora::adapt::{Lora, Mlp, ALPHA, BATCH, CLASSES};
    use ch10_lora::lora::LoraLinear;
    use ch10_lora::Dev;
    use dfdx::nn::modules::ReLU;
    use dudl::data::digits::PIXELS;
    let dev = Dev::seed_from_u64(10);
    let (l1, _, l2, _, head): Mlp = BuildModule::build(&dev);
    let mut model: Lora<4> = (
        LoraLinear::adapt(l1, ALPHA),
        ReLU,
        LoraLinear::adapt(l2, ALPHA),
        ReLU,
        head,
    );
    let config = AdamConfig {
        lr: 1e-2,
        ..Default::default()
    };
    let mut adam = Adam::new(&model, config);
    let mut grads = Some(model.alloc_grads());
    let x = dev.sample_uniform_like(&(BATCH, Const::<PIXELS>));
    let y = dev
        .sample_normal_like(&(BATCH, Const::<CLASSES>))
        .softmax::<Axis<1>>();
    Ok(Box::new(move || {
        let logits = model.try_forward(x.clone().traced(take(&mut grads)?))?;
        let loss = cross_entropy_with_logits_loss(logits, y.clone());
        grads = Some(descend(&mut model, &mut adam, loss)?);
        Ok(())
    }))
}
