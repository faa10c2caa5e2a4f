//! How a run is played: the strategies (after Chaos Toolkit's precedence) and the dry mode.

use crate::experiment::{Experiment, HypothesisStrategy, RollbackStrategy};

/// Which activities `--dry` skips.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Dry {
    Probes,
    Actions,
    Activities,
    Pause,
}

impl Dry {
    pub fn as_str(self) -> &'static str {
        match self {
            Dry::Probes => "probes",
            Dry::Actions => "actions",
            Dry::Activities => "activities",
            Dry::Pause => "pause",
        }
    }
}

/// How to run: strategies after precedence (flag > experiment > settings > default), dry mode.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub hypothesis_strategy: HypothesisStrategy,
    pub hypothesis_frequency: f64,
    pub fail_fast: bool,
    pub rollback_strategy: RollbackStrategy,
    pub dry: Option<Dry>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            hypothesis_strategy: HypothesisStrategy::Default,
            hypothesis_frequency: 1.0,
            fail_fast: false,
            rollback_strategy: RollbackStrategy::Default,
            dry: None,
        }
    }
}

/// The strategies the operator asked for on the command line.
#[derive(Debug, Clone, Copy, Default)]
pub struct StrategyFlags {
    pub hypothesis: Option<HypothesisStrategy>,
    pub rollbacks: Option<RollbackStrategy>,
}

impl RunOptions {
    /// Chaos Toolkit's precedence: the flag, else the experiment's `runtime` block, else the settings
    /// file, else `default`. Its quirk is kept: when the experiment has a `runtime` block, both
    /// strategies come from it, and a half it leaves out is `default`, not the settings' value.
    pub fn strategies(
        &mut self,
        flags: StrategyFlags,
        experiment: &Experiment,
        settings: &crate::settings::Settings,
    ) {
        let (hypothesis, rollbacks) = match &experiment.runtime {
            Some(block) => (block.hypothesis, block.rollbacks),
            None => (settings.hypothesis_strategy, settings.rollback_strategy),
        };
        self.hypothesis_strategy = flags
            .hypothesis
            .or(hypothesis)
            .unwrap_or(HypothesisStrategy::Default);
        self.rollback_strategy = flags
            .rollbacks
            .or(rollbacks)
            .unwrap_or(RollbackStrategy::Default);
    }
}
