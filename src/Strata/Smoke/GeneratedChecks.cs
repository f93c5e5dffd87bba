using Strata.Graph;
using Strata.Tools;

namespace Strata.Smoke;

/// <summary>
/// The checks every image gets without writing them, whatever the image is for: its pinned tools (and
/// its ancestors') at their locked versions, a UTF-8 locale, a quiet login shell, a default command
/// that runs (`docker run IMAGE` with no command), no secrets, the devcontainer.metadata label where
/// strata.yaml declares one, and the vault scenario where the spec
/// says <c>vault: true</c>. What is specific to one workstation (its dotfiles, its folders) belongs
/// in its <c>Dockerfiles/&lt;image&gt;.smoke.yaml</c>. A spec check of the same name replaces a generated one.
/// </summary>
public static class GeneratedChecks
{
    public const string Locale = "locale is UTF-8";
    public const string LoginShell = "login shell starts cleanly";
    public const string DefaultCommand = "the image runs with its own command";
    public const string NoSecrets = "no secrets in the image";
    public const string Vault = "vault scenario";
    public const string Devcontainer = "devcontainer.metadata says what the image is";

    public static string ToolCheckName(string tool) => $"tool {tool} is at its locked version";

    public static IReadOnlyList<SmokeCheck> For(ImageGraph graph, string image, EffectiveSpec spec, ToolSet tools,
        ToolLock toolLock, SmokeOptions options)
    {
        const string origin = CheckResult.Generated;
        var checks = new List<SmokeCheck>();

        var lineage = graph.Lineage(image).Select(i => i.Name).ToList();
        foreach (var tool in tools.Tools.Where(t => lineage.Contains(t.Image)))
        {
            var name = ToolCheckName(tool.Name);
            checks.Add(toolLock.Tools.TryGetValue(tool.Name, out var locked)
                ? new ToolVersionCheck(name, origin, tool.Name, tool.VersionCommandOrDefault, locked.Version)
                : new FailedCheck(name, origin, CheckKind.Tool,
                    $"tool '{tool.Name}' (installed by image '{tool.Image}') is not pinned in {ToolLock.DefaultFileName}; run the pin task."));
        }

        var locale = options.Locale.Replace(".", "\\.", StringComparison.Ordinal);
        checks.Add(new CommandCheck(Locale, origin, "locale", null, Login: false, 0,
            new OutputRules([Rx($"^LANG=\"?{locale}\"?$"), Rx($"^LC_CTYPE=\"?{locale}\"?$")], [], false),
            new OutputRules([], [Rx("Cannot set|cannot change locale")], false)));
        checks.Add(new CommandCheck(LoginShell, origin, "true", null, Login: true, 0, OutputRules.None,
            new OutputRules([], [], Empty: true)));

        checks.Add(new DefaultCommandCheck(DefaultCommand, origin));
        checks.Add(new SecretScanCheck(NoSecrets, origin, options.SecretScanPaths, options.SecretScanPrune, options.SecretPatterns));

        var devcontainer = Images.DevcontainerMetadata.For(graph, image);
        if (!devcontainer.IsEmpty)
            checks.Add(new DevcontainerCheck(Devcontainer, origin, devcontainer.ToJson()));

        if (spec.Vault)
            checks.Add(new ScenarioCheck(Vault, origin, Path.GetFullPath(Path.Combine(graph.RootDirectory, options.VaultDirectory)),
                options.VaultTimeout,
                options.VaultProofDirectory is { } proofs ? Path.GetFullPath(Path.Combine(graph.RootDirectory, proofs)) : null,
                options.VaultRuntime, options.VaultProofRegistry));
        return checks;
    }

    private static System.Text.RegularExpressions.Regex Rx(string pattern) =>
        new(pattern, System.Text.RegularExpressions.RegexOptions.Multiline, TimeSpan.FromSeconds(2));
}
