namespace Strata.Images;

/// <summary>
/// The one place the key tags are spelled: every stage's image is tagged with the first 12 characters of its key, so
/// the tag names exactly one content (<c>base-core-0123456789ab</c>, <c>base-0123456789ab</c>), and a published image
/// that passed its smoke tests gets a proof tag (<c>base-0123456789ab-proven-fedcba987654</c>, the proof key's 12).
/// </summary>
public static class KeyTag
{
    /// <summary>How much of a key a tag carries.</summary>
    public const int KeyLength = 12;

    /// <summary>The core stage's tag when a published (dotfiles) stage follows it: <c>IMAGE-core-KEY12</c>.</summary>
    public static string Core(string image, string key) => $"{image}-core-{Short(key)}";

    /// <summary>The published stage's tag (also the core's when there is no dotfiles layer): <c>IMAGE-KEY12</c>.</summary>
    public static string Published(string image, string key) => $"{image}-{Short(key)}";

    /// <summary>The proof tag of a published key tag: <c>PUBLISHED-proven-PROOFKEY12</c>.</summary>
    public static string Proven(string publishedTag, string proofKey) => $"{publishedTag}-proven-{Short(proofKey)}";

    /// <summary>The same stage's tag under another key (a key tag ends with its key's 12).</summary>
    public static string WithKey(string keyTag, string key) => WithoutKey(keyTag) + Short(key);

    /// <summary>A key tag without its key: what every key of the same stage starts with.</summary>
    public static string WithoutKey(string keyTag) => keyTag[..^KeyLength];

    /// <summary>Whether <paramref name="tag"/> is a key tag of <paramref name="key"/> (a moving tag is not).</summary>
    public static bool Carries(string tag, string key) => key.Length >= KeyLength && tag.EndsWith("-" + Short(key), StringComparison.Ordinal);

    private static string Short(string key) => key[..Math.Min(KeyLength, key.Length)];
}
