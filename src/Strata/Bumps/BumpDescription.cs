using System.Text;
using Strata.Graph;
using Strata.Images;
using Strata.Tools;

namespace Strata.Bumps;

/// <summary>The title and body of the bump pull request, written for its reviewer.</summary>
public static class BumpDescription
{
    /// <summary>Hidden in the body: how a run finds its own pull request among others from the same branch.</summary>
    public const string Marker = "<!-- strata:tool-bumps -->";

    /// <summary>"Bump helm 3.19.2 -> 3.19.4, k9s 0.50.1 -> 0.50.2".</summary>
    public static string Title(ToolLock before, ToolLock after)
    {
        var parts = ToolLock.Changes(before, after).Select(c => c switch
        {
            (_, { } old, { } now) when old.Version == now.Version => $"{c.Name} {now.Version} (new downloads)",
            (_, { } old, { } now) => $"{c.Name} {old.Version} -> {now.Version}",
            (_, null, { } now) => $"add {c.Name} {now.Version}",
            _ => $"drop {c.Name}",
        }).ToList();
        return "Bump " + string.Join(", ", parts);
    }

    /// <summary>The images of the chain whose keys the new lock changes, and the ones it leaves alone.</summary>
    public static (IReadOnlyList<string> Change, IReadOnlyList<string> Keep) Images(ImageGraph graph, ToolSet tools, ToolLock before, ToolLock after)
    {
        var now = BuildPlanner.Plan(graph, new PlanOptions { HostCa = HostCaMode.Off, Tools = tools, Lock = after });
        BuildPlan? old;
        try
        {
            old = BuildPlanner.Plan(graph, new PlanOptions { HostCa = HostCaMode.Off, Tools = tools, Lock = before });
        }
        catch (StrataConfigException)
        {
            old = null; // the old lock missed a tool: every image that installs one is new
        }
        var change = now.Images.Where(i => old is null || old.Get(i.Name).Key != i.Key).Select(i => i.Name).ToList();
        return (change, now.Images.Select(i => i.Name).Except(change).ToList());
    }

    public static string Body(PinResult pin, IReadOnlyList<string> imagesChange, IReadOnlyList<string> imagesKeep, string lockPath)
    {
        var text = new StringBuilder();
        text.Append(Marker).Append('\n');
        text.Append($"Newer upstream releases, pinned by Strata's nightly `bump-pr` run. This pull request changes only `{lockPath}`.\n\n");
        text.Append("| Tool | Version | Release notes | ");
        text.Append(string.Join(" | ", ToolSpec.Architectures.Select(a => $"{a} sha256 (from)"))).Append(" |\n");
        text.Append("|---|---|---|").Append(string.Concat(ToolSpec.Architectures.Select(_ => "---|"))).Append('\n');
        foreach (var (name, old, now) in ToolLock.Changes(pin.Previous, pin.Lock))
        {
            if (now is null)
            {
                text.Append($"| {name} | {old!.Version} -> (removed from tools.yaml) | |").Append(string.Concat(ToolSpec.Architectures.Select(_ => " |"))).Append('\n');
                continue;
            }
            var source = pin.Sources.GetValueOrDefault(name);
            var notes = source is null ? now.Tag : $"[{now.Tag}]({source.ReleaseUrl})";
            text.Append($"| {name} | {old?.Version ?? "(new)"} -> {now.Version} | {notes} |");
            foreach (var arch in ToolSpec.Architectures)
                text.Append(now.Assets.TryGetValue(arch, out var asset)
                    ? $" `{asset.Sha256[..12]}` ({source?.Sha256From.GetValueOrDefault(arch) ?? "unchanged"}) |"
                    : " npm package |");
            text.Append('\n');
        }
        text.Append('\n');
        text.Append("**Images whose keys change** (rebuilt): ").Append(List(imagesChange)).Append('\n');
        text.Append("**Images whose keys do not change** (reused): ").Append(List(imagesKeep)).Append("\n\n");
        text.Append("**What CI proves before merge**: `ci.yml` runs `.ci/run` on this branch: the new lock loads, every image key is ");
        text.Append("computed from it, and the chain is built and smoke-tested as `./build.sh --skip-tools` builds it (npm tools at their new ");
        text.Append("version; the GitHub-released binaries are left out there). Every binary is checked against the sha256 above ");
        text.Append("whenever `./build.sh` downloads it: a mismatch fails the build.\n\n");
        text.Append("<details><summary>Lock diff</summary>\n\n```\n").Append(pin.Diff).Append("```\n</details>\n\n");
        text.Append("Each nightly run updates this pull request in place (one commit on top of the default branch); ");
        text.Append("it is closed with a comment when the default branch already has every bump.\n");
        return text.ToString();
    }

    private static string List(IReadOnlyList<string> names) =>
        names.Count == 0 ? "none" : string.Join(", ", names.Select(n => $"`{n}`"));
}
