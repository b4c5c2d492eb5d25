//! `vixshield graph FILE [--format text|dot|json]`

use super::{exit, read_source};
use crate::check;
use crate::diag;
use std::path::PathBuf;
use std::process::ExitCode;

/// How to print the graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphFormat {
    /// One node a line: `#id kind label <- deps`.
    Text,
    /// Graphviz.
    Dot,
    /// `{"nodes": [{"id", "kind", "label", "deps"}], "decision"}`.
    Json,
}

/// Print the rule graph a strategy compiles to.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// A strategy file.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// `text`, `dot` (Graphviz) or `json`.
    #[arg(long, value_enum, default_value_t = GraphFormat::Text)]
    format: GraphFormat,
    #[command(flatten)]
    plugins: super::common::PluginArgs,
}

pub fn run(args: Args, color: bool) -> ExitCode {
    let src = match read_source(&args.file) {
        Ok(src) => src,
        Err(msg) => {
            say!("{msg}");
            return exit::trouble();
        }
    };
    let (env, plugins) = match super::common::env(&args.plugins) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let checked = check::check_source(&src, &env);
    let Some(strategy) = &checked.strategy else {
        eprint!("{}", diag::render_human(&src, &checked.diagnostics, color));
        return exit::findings();
    };
    match crate::compile::compile(strategy, &plugins.defaults()) {
        Ok(c) => {
            let text = match args.format {
                GraphFormat::Text => c.graph.to_text(),
                GraphFormat::Dot => c.graph.to_dot(),
                GraphFormat::Json => c.graph.to_json(),
            };
            match super::output::print(|w| w.write_all(text.as_bytes())) {
                Ok(()) => exit::ok(),
                Err(code) => code,
            }
        }
        Err(e) => {
            say!("error: {}: {e}", src.name());
            exit::findings()
        }
    }
}
