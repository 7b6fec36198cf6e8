//! The trainer: it learns, it is deterministic, settings change without a
//! reset, and divergence is caught.

use curvscope_core::curvature::lanczos::{LanczosOptions, lanczos};
use curvscope_core::model::activation::Activation;
use curvscope_core::model::architecture::Architecture;
use curvscope_core::model::synthetic::{DataKind, init_params};
use curvscope_core::spec::TrainerSettings;
use curvscope_core::train::trainer::Trainer;
use rand::SeedableRng;

fn moons_trainer(settings: TrainerSettings, seed: u64) -> Trainer {
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let kind = DataKind::Moons;
    let train = kind.generate(200, 0.1, &mut rng);
    let test = kind.generate(100, 0.1, &mut rng);
    let arch = Architecture::new(vec![2, 16, 16, 1], Activation::Tanh);
    let theta = init_params(&arch, &mut rng);
    Trainer::new(arch, kind.loss(), train, Some(test), theta, settings, seed)
}

const SGD: TrainerSettings = TrainerSettings::sgd(0.1, Some(16), 0.9);

#[test]
fn training_lowers_train_and_test_loss() {
    let mut t = moons_trainer(SGD, 7);
    let (train0, test0) = (t.train_loss(), t.test_loss().unwrap());
    for _ in 0..1500 {
        t.step().unwrap();
    }
    assert_eq!(t.steps(), 1500);
    let (train1, test1) = (t.train_loss(), t.test_loss().unwrap());
    assert!(train1 < 0.2 * train0, "train loss {train0} -> {train1}");
    assert!(test1 < 0.3 * test0, "test loss {test0} -> {test1}");
}

#[test]
fn the_same_seed_gives_the_same_run_bit_for_bit() {
    let run = |seed| {
        let mut t = moons_trainer(SGD, seed);
        let losses: Vec<u64> = (0..200)
            .map(|_| t.step().unwrap().batch_loss.to_bits())
            .collect();
        (
            losses,
            t.theta().iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        )
    };
    assert_eq!(run(3), run(3));
    assert_ne!(run(3).1, run(4).1, "the seed must change the batch order");
}

#[test]
fn full_batch_step_is_plain_gradient_descent() {
    let settings = TrainerSettings::sgd(0.05, None, 0.0);
    let mut t = moons_trainer(settings, 0);
    let theta0 = t.theta().clone();
    let (loss0, grad) = t
        .train_objective()
        .loss_and_grad(theta0.as_slice().unwrap());
    let report = t.step().unwrap();
    assert_eq!(report.batch_loss, loss0);
    let want = &theta0 - &(grad * 0.05);
    assert_eq!(t.theta(), &want);
}

#[test]
fn settings_change_without_a_reset() {
    let mut t = moons_trainer(SGD, 1);
    for _ in 0..50 {
        t.step().unwrap();
    }
    let theta = t.theta().clone();
    t.set_settings(TrainerSettings::sgd(0.01, None, 0.0));
    assert_eq!(t.theta(), &theta, "changing settings must not touch θ");
    t.step().unwrap();
    assert_eq!(t.steps(), 51);
    assert_eq!(t.settings().batch_size, None);
}

#[test]
fn a_learning_rate_far_above_two_over_lambda_max_diverges_and_is_caught() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let kind = DataKind::Sine;
    let arch = Architecture::new(vec![1, 16, 1], Activation::Tanh);
    let theta = init_params(&arch, &mut rng);
    let train = kind.generate(100, 0.05, &mut rng);
    let settings = TrainerSettings::sgd(0.05, None, 0.0);
    let mut t = Trainer::new(arch, kind.loss(), train, None, theta, settings, 0);
    for _ in 0..300 {
        t.step().unwrap();
    }
    // η·λmax far beyond the stability limit 2: the loss explodes.
    let op = t
        .train_objective()
        .hessian_at(t.theta().as_slice().unwrap());
    let opts = LanczosOptions {
        top_k: 1,
        want_min: false,
        ..Default::default()
    };
    let lmax = lanczos(&op, &opts, &[]).top[0].value;
    let eta = 10.0 * settings.optimizer.stability_limit() / lmax;
    t.set_settings(settings.with_learning_rate(eta));
    let err = (0..1000).find_map(|_| t.step().err()).expect("diverges");
    assert!(err.step > 300, "{err}");
    assert_eq!(t.diverged(), Some(err));
    let theta = t.theta().clone();
    assert_eq!(t.step(), Err(err), "a diverged trainer stays stopped");
    assert_eq!(t.theta(), &theta);
    assert!(
        err.to_string()
            .starts_with(&format!("diverged at step {}", err.step))
    );
}

#[test]
fn every_data_kind_trains() {
    for kind in DataKind::ALL {
        let mut rng = rand::rngs::StdRng::seed_from_u64(2);
        let (n_in, n_out) = kind.widths();
        let arch = Architecture::new(vec![n_in, 16, n_out], Activation::Tanh);
        let theta = init_params(&arch, &mut rng);
        let train = kind.generate(120, 0.05, &mut rng);
        let settings = TrainerSettings::sgd(0.05, Some(32), 0.9);
        let mut t = Trainer::new(arch, kind.loss(), train, None, theta, settings, 0);
        let before = t.train_loss();
        for _ in 0..400 {
            t.step().unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        }
        assert!(
            t.train_loss() < before,
            "{kind:?}: {before} -> {}",
            t.train_loss()
        );
        assert_eq!(t.test_loss(), None);
    }
}

#[test]
fn curvature_tracking_warm_starts_and_reads_out_stability() {
    use curvscope_core::train::tracker::{CurvatureTracker, StabilityBand};
    let settings = TrainerSettings::sgd(0.05, None, 0.0);
    let mut t = moons_trainer(settings, 0);
    for _ in 0..200 {
        t.step().unwrap();
    }
    let mut tracker = CurvatureTracker::new(3);
    let cold = tracker.measure(
        &t,
        &t.train_objective()
            .hessian_at(t.theta().as_slice().unwrap()),
    );
    t.step().unwrap();
    let warm = tracker.measure(
        &t,
        &t.train_objective()
            .hessian_at(t.theta().as_slice().unwrap()),
    );
    assert!(
        warm.products < cold.products,
        "warm {} vs cold {}",
        warm.products,
        cold.products
    );
    assert_eq!(warm.step, 201);
    assert_eq!(warm.top.len(), 3);
    assert!(warm.top.windows(2).all(|w| w[0] >= w[1]));
    assert!(warm.min <= warm.top[2]);
    assert_eq!(warm.limit, 2.0);
    assert_eq!(warm.eta_lambda[0], 0.05 * warm.top[0]);
    let expected = StabilityBand::classify(warm.eta_lambda[0], 2.0);
    assert_eq!(warm.band, expected);
    // The same point measured independently gives the same λmax.
    let op = t
        .train_objective()
        .hessian_at(t.theta().as_slice().unwrap());
    let exact = op.dense().unwrap();
    let eig = curvscope_core::curvature::dense::symmetric_eigen(exact.view()).unwrap();
    let lmax = eig.values[eig.values.len() - 1];
    assert!((warm.top[0] - lmax).abs() < 1e-8 * lmax.abs());
    assert!((warm.trace.value - exact.diag().sum()).abs() < 1e-10 * lmax.abs());
}

#[test]
fn a_session_projects_its_path_onto_the_surface_it_draws() {
    use curvscope_core::spec::SessionConfig;
    use curvscope_core::train::session::Session;
    let mut session = Session::new(SessionConfig {
        grid: (9, 1.0),
        ..SessionConfig::default()
    })
    .unwrap();
    assert!(session.train(200).is_none());
    session.measure();
    let snap = session.snapshot();
    assert_eq!(snap.step, 200);
    let surface = snap.surface.expect("a surface");
    assert_eq!(surface.loss.dim(), (9, 9));
    assert_eq!(surface.path.len(), 20, "a point every 10 steps");
    // The newest point is the current one: the centre of the plane.
    let last = surface.path.last().unwrap();
    assert!(
        last.a.abs() < 1e-9 && last.b.abs() < 1e-9 && last.off_plane < 1e-9,
        "{last:?}"
    );
    assert!((last.loss - surface.loss[(4, 4)]).abs() <= 1e-12 * last.loss.abs().max(1.0));
    // Older points have left the plane.
    assert!(surface.path[0].off_plane > 0.0);
    // Eigenvector axes: their curvatures are the top two eigenvalues.
    let top = &snap.curvature.as_ref().unwrap().top;
    for k in 0..2 {
        assert!(
            (surface.axis_curvatures[k] - top[k]).abs() < 1e-8 * top[0],
            "axis {k}"
        );
    }
}

#[test]
fn every_plane_kind_gives_a_finite_surface() {
    use curvscope_core::landscape::plane::PlaneKind;
    use curvscope_core::spec::SessionConfig;
    use curvscope_core::train::session::Session;
    let mut session = Session::new(SessionConfig {
        grid: (9, 0.5),
        ..SessionConfig::default()
    })
    .unwrap();
    session.train(100);
    for kind in PlaneKind::ALL {
        session.set_landscape(kind, (7, 0.3));
        session.measure();
        let surface = session.snapshot().surface.unwrap();
        assert_eq!(surface.kind, kind);
        assert_eq!(surface.loss.dim(), (7, 7));
        assert_eq!((surface.coords[0], surface.coords[6]), (-0.3, 0.3));
        assert!(surface.loss.iter().all(|v| v.is_finite()), "{kind:?}");
        assert!(
            surface.axis_curvatures.iter().all(|c| c.is_finite()),
            "{kind:?}"
        );
        assert!(
            (surface.loss[(3, 3)] - snap_loss(&session)).abs() < 1e-12,
            "{kind:?}: centre is the current loss"
        );
    }
}

/// Issue 12: the default run's path read "up to 11.4 off the plane" on the
/// eigenvector plane; on the PCA plane of its own path it lies (almost) in
/// the plane, and the axes say how much of the path they hold.
#[test]
fn the_pca_plane_holds_the_training_path() {
    use curvscope_core::landscape::plane::PlaneKind;
    use curvscope_core::spec::SessionConfig;
    use curvscope_core::train::session::Session;
    let mut session = Session::new(SessionConfig {
        grid: (5, 1.0),
        ..SessionConfig::default()
    })
    .unwrap();
    // Too short a path: the eigenvectors meanwhile, no explained share.
    session.set_landscape(PlaneKind::Pca, (5, 1.0));
    session.measure();
    assert_eq!(session.snapshot().surface.unwrap().explained, None);
    assert!(session.train(2000).is_none());
    let off = |s: &Session| {
        let surface = s.snapshot().surface.unwrap();
        let off = surface.path.iter().map(|p| p.off_plane).fold(0.0, f64::max);
        (off, surface.explained)
    };
    session.set_landscape(PlaneKind::Eigen, (5, 1.0));
    session.measure();
    let (eigen_off, none) = off(&session);
    assert_eq!(none, None);
    session.set_landscape(PlaneKind::Pca, (5, 1.0));
    session.measure();
    let (pca_off, explained) = off(&session);
    let [e0, e1] = explained.expect("a PCA plane");
    assert!(e0 >= e1 && e1 >= 0.0 && e0 + e1 <= 1.0 + 1e-12, "{e0} {e1}");
    assert!(
        e0 + e1 > 0.8,
        "two directions hold most of the path: {e0} + {e1}"
    );
    assert!(
        pca_off < 0.5 * eigen_off,
        "off the plane: PCA {pca_off} vs eigen {eigen_off}"
    );
    eprintln!(
        "path off the plane: eigen {eigen_off:.3}, PCA {pca_off:.3} ({e0:.3} + {e1:.3} explained)"
    );
}

fn snap_loss(session: &curvscope_core::train::session::Session) -> f64 {
    session.snapshot().train_loss
}

/// Issue 9: the default run with η = 10 (the slider's top) from a restart:
/// the loss goes from 0.69 to tens and swings, λmax collapses in saturated
/// units, and the gauge alone read "η·λmax 1.0 / 3.8: stable". The loss
/// history says what is true: the run jumped far above its recent minimum.
#[test]
fn the_loss_history_shows_an_overshoot_that_the_gauge_calls_stable() {
    use curvscope_core::spec::SessionConfig;
    use curvscope_core::train::health::Health;
    use curvscope_core::train::session::Session;
    use curvscope_core::train::tracker::StabilityBand;
    let mut config = SessionConfig::default();
    config.settings.optimizer.learning_rate = 10.0;
    config.grid = (5, 1.0);
    let mut session = Session::new(config).unwrap();
    let mut seen = None;
    // About one measurement per 75 steps, as the live app at 300 steps/s.
    for _ in 0..40 {
        session.train(75);
        session.measure();
        let s = session.snapshot();
        if let (Health::Jumped { ratio }, Some(c)) = (s.health, s.curvature.as_ref()) {
            let band = StabilityBand::classify(
                s.settings.learning_rate() * c.top[0],
                s.settings.optimizer.stability_limit(),
            );
            seen = Some((ratio, band, s.train_loss));
            break;
        }
    }
    let (ratio, band, loss) = seen.expect("the history must show the jump");
    assert!(ratio > 10.0 && loss > 5.0, "ratio {ratio}, loss {loss}");
    assert_eq!(
        band,
        StabilityBand::Stable,
        "the scenario: the gauge alone says stable"
    );
    eprintln!("jumped {ratio:.0}x to loss {loss:.2} while the gauge said {band:?}");
}
