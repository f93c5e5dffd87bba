# shellcheck shell=bash
# ~/.bashrc: interactive shells only. Scripts, agents and `docker exec` without a terminal
# return here, so no hook below (prompt, vault offer) ever runs for them.
case $- in
  *i*) ;;
  *) return ;;
esac

HISTCONTROL=ignoreboth
HISTSIZE=10000
shopt -s histappend checkwinsize

alias ls='eza --group-directories-first'
alias ll='eza -l --git --group-directories-first'
alias k=kubectl

# Hooks: one file per concern (prompt, tools, vault ...).
for hook in "$HOME"/.bashrc.d/*.sh; do
  # shellcheck source=/dev/null  # each hook is checked on its own
  [ -r "$hook" ] && . "$hook"
done
unset hook
