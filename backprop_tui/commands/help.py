"""Help: :help lists the commands from the registry, or explains one."""

from __future__ import annotations

from ..events import Event, Info
from ..registry import ALIASES, COMMANDS, Arg, CommandError, command
from ..session import Session


@command("help", ":help [COMMAND]", "List the commands, or explain one.", aliases=("?",),
         args=(Arg("command"),), cost="quick")
def _cmd_help(s: Session, args: list[str]) -> list[Event]:
    if args:
        name = ALIASES.get(args[0].lstrip(":"))
        if name is None:
            raise CommandError(f"no command ':{args[0].lstrip(':')}'; :help lists them")
        c = COMMANDS[name]
        alias = f"  (aliases: {', '.join(':' + a for a in c.aliases)})" if c.aliases else ""
        return [Info(f"{c.usage}{alias}\n  {c.help}")]
    width = max(len(c.usage) for c in COMMANDS.values())
    lines = ["Type a statement (x = 2; y = 3; x^2 + 3x*y + 1) or a command:"]
    lines += [f"  {c.usage:<{width}}  {c.summary}" for c in COMMANDS.values()]
    lines.append("NODE is a name, a label such as 3xy, or #id.")
    return [Info("\n".join(lines))]
