//! A problem from your own model and data: a PyTorch MLP (safetensors) and
//! a CSV file, checked against each other (`curvscope import`).

use crate::io::csv_data::CsvData;
use crate::io::problem::Problem;
use crate::io::safetensors::Mlp;
use crate::model::dataset::{Dataset, Targets};
use crate::model::loss::LossKind;

/// The problem of `model` on every row of `data` (its training rows: give
/// the CSV no test split). Refused, with one line, when the data does not
/// fit the model: a different number of features, or targets the model's
/// outputs cannot take.
pub fn problem(model: Mlp, data: &CsvData) -> Result<Problem, String> {
    let arch = &model.architecture;
    let (n_in, n_out) = (arch.n_inputs(), arch.n_outputs());
    if data.features.len() != n_in {
        return Err(format!(
            "the model takes {n_in} inputs (layer {:?} has {n_in} columns) but the data has {} feature columns ({})",
            model.names.first().map_or("0", String::as_str),
            data.features.len(),
            clip(&data.features.join(", "))
        ));
    }
    let target = &data.spec.target;
    if let (LossKind::BceLogits, Some(_), 2, Targets::Binary(y)) =
        (data.loss, &data.classes, n_out, &data.train.y)
    {
        // Two labels and two outputs: softmax_ce over both.
        let classes = y.iter().map(|&c| c as usize).collect();
        return Ok(Problem {
            architecture: model.architecture,
            loss: LossKind::SoftmaxCe,
            data: Dataset {
                x: data.train.x.clone(),
                y: Targets::Classes(classes),
            },
            params: model.params,
            directions: None,
            trajectory: None,
        });
    }
    let fits = match data.loss {
        LossKind::Mse | LossKind::BceLogits => n_out == 1,
        // A given softmax_ce reads class indices, which need only be
        // below the output width; labels number exactly their classes.
        LossKind::SoftmaxCe if data.spec.loss.is_some() => data.n_outputs <= n_out,
        LossKind::SoftmaxCe => data.n_outputs == n_out,
    };
    if !fits {
        let what = match (data.loss, &data.classes) {
            (LossKind::SoftmaxCe, _) if data.spec.loss.is_some() => {
                format!("holds class index {} (softmax_ce)", data.n_outputs - 1)
            }
            (_, Some(classes)) => format!("holds {} classes", classes.len()),
            _ => "holds numbers (mse)".to_string(),
        };
        return Err(format!(
            "the target column {target:?} {what}, but the model has {n_out} output{}: give --loss (mse, bce_logits, softmax_ce) to read the target as that loss's problem-format rule says",
            if n_out == 1 { "" } else { "s" }
        ));
    }
    Ok(Problem {
        architecture: model.architecture,
        loss: data.loss,
        data: data.train.clone(),
        params: model.params,
        directions: None,
        trajectory: None,
    })
}

fn clip(text: &str) -> String {
    if text.chars().count() > 60 {
        format!("{}...", text.chars().take(60).collect::<String>())
    } else {
        text.to_string()
    }
}
