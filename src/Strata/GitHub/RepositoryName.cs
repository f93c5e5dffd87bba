using System.Text.RegularExpressions;

namespace Strata.GitHub;

/// <summary>A GitHub repository written owner/name (tools.yaml, GITHUB_REPOSITORY).</summary>
public sealed partial record RepositoryName(string Owner, string Name)
{
    public static bool IsValid(string text) => Pattern().IsMatch(text);

    /// <summary>Parses owner/name; <paramref name="what"/> says where it came from in the error.</summary>
    public static RepositoryName Parse(string text, string what = "repository") =>
        Pattern().Match(text) is { Success: true } m
            ? new RepositoryName(m.Groups[1].Value, m.Groups[2].Value)
            : throw new ArgumentException($"{what} '{text}' is not a GitHub repository name (owner/name).");

    public override string ToString() => $"{Owner}/{Name}";

    [GeneratedRegex("^([A-Za-z0-9-]+)/([A-Za-z0-9._-]+)$")]
    private static partial Regex Pattern();
}
