# shellcheck shell=bash
# Interactive conveniences; each only when its tool is installed.
command -v starship >/dev/null && eval "$(starship init bash)"
command -v zoxide >/dev/null && eval "$(zoxide init bash)"
# shellcheck source=/dev/null  # a file of the fzf package, not of this repository
[ -r /usr/share/doc/fzf/examples/key-bindings.bash ] && . /usr/share/doc/fzf/examples/key-bindings.bash
# shellcheck source=/dev/null  # a file of the bash-completion package
[ -r /usr/share/bash-completion/bash_completion ] && . /usr/share/bash-completion/bash_completion
