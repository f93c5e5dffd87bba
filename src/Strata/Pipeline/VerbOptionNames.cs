namespace Strata.Pipeline;

/// <summary>The options one verb's options type reads (<paramref name="Options"/>), and the targets it serves.</summary>
public sealed record VerbOptionNames(IReadOnlyList<string> Targets, IReadOnlyList<string> Options)
{
    public bool Serves(string target) => Targets.Contains(target, StringComparer.OrdinalIgnoreCase);

    /// <summary>How the verb is named in a warning: "--target=pin", or "--target=release or release-index".</summary>
    public string Describe() => "--target=" + string.Join(" or ", Targets);
}
