//! `openbureau completions` and `openbureau man`, generated from the clap definition itself so
//! they cannot drift from the commands.

use crate::Failure;
use clap::{Args, CommandFactory};
use clap_complete::Shell;

/// `openbureau completions`.
#[derive(Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Prints the completion script for a shell.
pub fn completions<C: CommandFactory>(a: &CompletionsArgs) -> Result<(), Failure> {
    let mut command = C::command();
    let mut script = Vec::new();
    clap_complete::generate(a.shell, &mut command, "openbureau", &mut script);
    out!("{}", String::from_utf8_lossy(&script));
    Ok(())
}

/// Prints the manual page, with every subcommand.
pub fn man<C: CommandFactory>() -> Result<(), Failure> {
    let command = C::command().name("openbureau");
    let mut page = Vec::new();
    let man = clap_mangen::Man::new(command.clone());
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    man.render_options_section(&mut page)?;
    man.render_subcommands_section(&mut page)?;
    if let Some(help) = command.get_after_help() {
        roff_section(&mut page, "EXIT STATUS", &help.to_string());
    }
    man.render_version_section(&mut page)?;
    out!("{}", String::from_utf8_lossy(&page));
    Ok(())
}

/// Appends a plain section: each line of `text` a paragraph line, roff's control characters escaped.
fn roff_section(page: &mut Vec<u8>, title: &str, text: &str) {
    page.extend_from_slice(format!(".SH \"{title}\"\n").as_bytes());
    for line in text.lines().skip(1) {
        let escaped = line.trim().replace('\\', "\\e");
        let escaped = if escaped.starts_with(['.', '\'']) { format!("\\&{escaped}") } else { escaped };
        page.extend_from_slice(format!("{escaped}\n.br\n").as_bytes());
    }
}
