# shellcheck shell=sh
# ~/.profile: login shells. Keep it quiet: a login shell must start without any output.
case ":$PATH:" in
  *":$HOME/.local/bin:"*) ;;
  *) PATH="$HOME/.local/bin:$PATH" ;;
esac
export PATH

if [ -n "${BASH_VERSION:-}" ] && [ -f "$HOME/.bashrc" ]; then
  # shellcheck source=.bashrc
  . "$HOME/.bashrc"
fi
