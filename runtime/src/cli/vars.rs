//! `--var key[:type]=value` and `--var-file PATH`, shared by `run` and `validate`.

use crate::experiment::{Vars, load_var_file, parse_var};
use serde_json::Value;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct VarArgs {
    /// Override a configuration value: `key[:type]=value` (types: str, int, float, bytes, bool, json).
    #[arg(long = "var", value_name = "KEY[:TYPE]=VALUE", value_parser = parse_var)]
    pub vars: Vec<(String, Value)>,
    /// A JSON/YAML file of `configuration` and `secrets`, or a .env file of environment variables.
    #[arg(long = "var-file", value_name = "PATH", value_parser = existing_file)]
    pub var_files: Vec<PathBuf>,
}

fn existing_file(s: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(s);
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!("File '{s}' does not exist."))
    }
}

impl VarArgs {
    /// Var files in order (later ones win), then `--var` values over them.
    pub fn load(&self) -> anyhow::Result<Vars> {
        let mut vars = Vars::default();
        for path in &self.var_files {
            vars.merge(load_var_file(path)?);
        }
        let mut flags = Vars::default();
        for (key, value) in &self.vars {
            flags.configuration.insert(key.clone(), value.clone());
        }
        vars.merge(flags);
        Ok(vars)
    }
}
