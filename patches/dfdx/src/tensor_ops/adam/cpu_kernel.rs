use super::{AdamConfig, AdamKernel, WeightDecay};
use crate::{
    dtypes::{Dtype, NotMixedPrecision},
    tensor::{cpu::halves, Cpu},
};

#[cfg(feature = "f16")]
impl AdamKernel<crate::dtypes::AMP<crate::dtypes::f16>> for Cpu {
    fn adam_kernel(
        &self,
        t: i32,
        cfg: &AdamConfig,
        param: &mut Self::Vec,
        moment1: &mut Self::Vec,
        moment2: &mut Self::Vec,
        grad: &Self::Vec,
    ) -> Result<(), Self::Err> {
        let betas = cfg.betas.map(|x| x as f32);
        let eps = cfg.eps as f32;
        let lr = cfg.lr as f32;

        for ((p, g), (m, v)) in param
            .iter_mut()
            .zip(grad.iter().cloned())
            .zip(moment1.iter_mut().zip(moment2.iter_mut()))
        {
            let p_f32 = p.0.to_f32();
            let mut g_f32 = g.0.to_f32();
            let mut m_f32 = m.0.to_f32();
            let mut v_f32 = v.0.to_f32();

            if let Some(WeightDecay::L2(wd)) = cfg.weight_decay {
                g_f32 += (wd as f32) * p_f32;
            }

            m_f32 = m_f32 * betas[0] + g_f32 * (1.0 - betas[0]);
            v_f32 = v_f32 * betas[1] + g_f32.powi(2) * (1.0 - betas[1]);
            let m_hat = m_f32 * (1.0 - betas[0].powi(t)).recip();
            let v_hat = v_f32 * (1.0 - betas[1].powi(t)).recip();
            g_f32 = lr * m_hat / (v_hat.sqrt() + eps);

            if let Some(WeightDecay::Decoupled(wd)) = cfg.weight_decay {
                g_f32 += (wd * cfg.lr) as f32 * p_f32;
            }

            p.0 = crate::dtypes::f16::from_f32(p_f32 - g_f32);
            m.0 = crate::dtypes::f16::from_f32(m_f32);
            v.0 = crate::dtypes::f16::from_f32(v_f32);
        }
        Ok(())
    }
}

impl<E: num_traits::Float + Dtype + NotMixedPrecision> AdamKernel<E> for Cpu {
    fn adam_kernel(
        &self,
        t: i32,
        cfg: &AdamConfig,
        param: &mut Self::Vec,
        moment1: &mut Self::Vec,
        moment2: &mut Self::Vec,
        grad: &Self::Vec,
    ) -> Result<(), Self::Err> {
        let betas = cfg.betas.map(E::from_f64).map(Option::unwrap);
        let eps = E::from_f64(cfg.eps).unwrap();
        let lr = E::from_f64(cfg.lr).unwrap();

        // dudl: the bias corrections once, not per element (in a closure the
        // compiler no longer hoists them out of the loop); the same values.
        let correction1 = (E::one() - betas[0].powi(t)).recip();
        let correction2 = (E::one() - betas[1].powi(t)).recip();
        let step = AdamStep {
            betas,
            eps,
            lr,
            correction1,
            correction2,
            l2: match cfg.weight_decay {
                Some(WeightDecay::L2(wd)) => E::from_f64(wd),
                _ => None,
            },
            decoupled: match cfg.weight_decay {
                Some(WeightDecay::Decoupled(wd)) => E::from_f64(wd * cfg.lr),
                _ => None,
            },
        };

        // dudl: in two halves, one on the helper thread, when large.
        let outputs = [&mut param[..], &mut moment1[..], &mut moment2[..]];
        halves(outputs, [grad], &|[param, moment1, moment2], [grad]| {
            step.run(param, moment1, moment2, grad)
        });
        Ok(())
    }
}

/// dudl: one Adam update with its constants, the weight decay decided once.
/// `run` compiles the loop for AVX-512 or AVX2 where the processor has them,
/// so that it handles 16 or 8 elements at a time instead of one: each element
/// still goes through the same operations in the same order (no fused
/// multiply-adds: Rust does not contract), so the values are the same bits.
struct AdamStep<E> {
    betas: [E; 2],
    eps: E,
    lr: E,
    correction1: E,
    correction2: E,
    l2: Option<E>,
    decoupled: Option<E>,
}

impl<E: num_traits::Float + Dtype> AdamStep<E> {
    fn run(&self, param: &mut [E], moment1: &mut [E], moment2: &mut [E], grad: &[E]) {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: the processor has AVX-512F.
                return unsafe { self.run_avx512(param, moment1, moment2, grad) };
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the processor has AVX2.
                return unsafe { self.run_avx2(param, moment1, moment2, grad) };
            }
        }
        self.run_any(param, moment1, moment2, grad)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    unsafe fn run_avx512(&self, param: &mut [E], m: &mut [E], v: &mut [E], grad: &[E]) {
        self.run_any(param, m, v, grad)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn run_avx2(&self, param: &mut [E], m: &mut [E], v: &mut [E], grad: &[E]) {
        self.run_any(param, m, v, grad)
    }

    #[inline(always)]
    fn run_any(&self, param: &mut [E], moment1: &mut [E], moment2: &mut [E], grad: &[E]) {
        let [beta1, beta2] = self.betas;
        let (keep1, keep2) = (E::one() - beta1, E::one() - beta2);
        for ((p, &g), (m, v)) in param
            .iter_mut()
            .zip(grad)
            .zip(moment1.iter_mut().zip(moment2.iter_mut()))
        {
            let g = match self.l2 {
                Some(wd) => g + wd * *p,
                None => g,
            };
            *m = *m * beta1 + g * keep1;
            *v = *v * beta2 + g.powi(2) * keep2;
            let m_hat = *m * self.correction1;
            let v_hat = *v * self.correction2;
            let update = self.lr * m_hat / (v_hat.sqrt() + self.eps);
            *p -= match self.decoupled {
                Some(wd) => update + wd * *p,
                None => update,
            };
        }
    }
}
