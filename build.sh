#!/usr/bin/env bash
# Strata's bootstrapper: ./build.sh [--target=NAME] [any Cake or Strata argument]
# Restores the pinned Cake (only when missing), builds the library (only when its sources
# changed), then runs build.cake with Cake's script cache, so a run with nothing to do is fast.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

if ! command -v dotnet >/dev/null; then
  echo "build.sh: the .NET SDK (10.0) is required: https://dot.net/download" >&2
  exit 2
fi

packages=${NUGET_PACKAGES:-$HOME/.nuget/packages}
cake_version=$(sed -n 's/.*"version": *"\([0-9][^"]*\)".*/\1/p' .config/dotnet-tools.json | tail -n 1)
if [[ ! -f $packages/cake.tool/$cake_version/cake.tool.$cake_version.nupkg.sha512 ]]; then
  dotnet tool restore >&2
fi

# ReadyToRun (precompiled, the library and its dependencies) for this machine's architecture: every run
# JITs less. It needs the SDK's crossgen2 package from NuGet once; where that fails, plain IL works too.
# STRATA_READY_TO_RUN=0 builds plain IL: a fresh clone that runs once (CI) saves the precompilation, and the
# test build then finds the library already compiled (the same output folder as a build without a runtime).
case $(uname -m) in
  x86_64) rid=linux-x64 ;;
  aarch64 | arm64) rid=linux-arm64 ;;
  *) rid= ;;
esac
[[ ${STRATA_READY_TO_RUN:-1} != 0 ]] || rid=

lib=.build/lib
stamp=$lib/.built
# The library's and the test target's inputs, each file with its time: an edited, added or removed file rebuilds it; another project's
# build (the tests, the vault program) or a new bin/ or obj/ folder does not (a folder's own time moved with those).
inputs="runtime: ${rid:-plain IL}"$'\n'$(find src/Strata src/Strata.TestRun Directory.Build.props global.json \( -name bin -o -name obj \) -prune -o -type f -printf '%T@ %p\n' | sort)
if [[ ! -f $stamp || $(<"$stamp") != "$inputs" ]]; then
  echo "build.sh: building the Strata library" >&2
  # The test target's project (src/Strata.TestRun): its publish brings the library and its dependencies along.
  publish=(dotnet publish src/Strata.TestRun -c Release -o "$lib" --nologo -v quiet -p:GenerateDocumentationFile=false)
  rm -rf "$lib"
  if [[ -z $rid ]] || ! "${publish[@]}" -r "$rid" --self-contained false -p:PublishReadyToRun=true >&2; then
    [[ -z $rid ]] || echo "build.sh: ReadyToRun publish failed (see above); building the library without it" >&2
    "${publish[@]}" >&2
  fi
  printf '%s\n' "$inputs" >"$stamp"
fi

export CAKE_SETTINGS_ENABLESCRIPTCACHE=true
# Cake's own entry assembly, started directly: `dotnet cake` first starts the SDK to find the local tool
# (about a third of a trivial script's run). The same Cake, the same arguments.
cake=$packages/cake.tool/$cake_version/tools/net10.0/any/Cake.dll
if [[ -f $cake ]]; then
  exec dotnet "$cake" build/strata.cake "$@"
fi
exec dotnet cake build/strata.cake "$@"
