namespace Strata.Pipeline;

/// <summary>The options of release and release-index (beside the run's: --registry, --platform).</summary>
public sealed record ReleaseVerbOptions
{
    /// <summary>The version a release also tags (&lt;image&gt;-&lt;version&gt;): --release-tag, or the v* git tag GitHub Actions runs for.</summary>
    public string? ReleaseTag { get; init; }

    public static readonly VerbOptionNames Names = new([Targets.Release, Targets.ReleaseIndex], ["release-tag"]);

    public static ReleaseVerbOptions From(CommandLine commandLine)
    {
        var line = commandLine.Reading(Names.Options);
        // GitHub Actions running for a pushed tag v1.2.3: GITHUB_REF_TYPE=tag, GITHUB_REF_NAME=v1.2.3.
        var releaseTag = line.Value("release-tag") ?? (line.Environment("GITHUB_REF_TYPE") == "tag" && line.Environment("GITHUB_REF_NAME") is { } tag &&
            tag.StartsWith('v') ? tag : null);
        return new ReleaseVerbOptions { ReleaseTag = string.IsNullOrEmpty(releaseTag) ? null : ValidTag(releaseTag) };
    }

    private static string ValidTag(string value) =>
        System.Text.RegularExpressions.Regex.IsMatch(value, "^[A-Za-z0-9_][A-Za-z0-9_.-]{0,100}$")
            ? value
            : throw new OptionException($"--release-tag '{value}' is not a valid image tag part (letters, digits, '_', '.', '-').");
}
