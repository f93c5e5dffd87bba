using System.Text.RegularExpressions;

namespace Strata.Oci;

/// <summary>
/// An image's id in an engine: the digest of its config, <c>sha256:&lt;64 hex&gt;</c>, as the Engine API gives it.
/// It names the image whatever its tags; untagged images have nothing else.
/// </summary>
public sealed partial record ImageId
{
    private ImageId(string value) => Value = value;

    public string Value { get; }

    /// <summary>The 64 hex digits without the algorithm.</summary>
    public string Hex => Value[(Value.IndexOf(':') + 1)..];

    /// <summary>Parses an id as the engine gives it, or throws <see cref="FormatException"/>.</summary>
    public static ImageId Parse(string text) => IdPattern().IsMatch(text)
        ? new ImageId(text)
        : throw new FormatException($"'{text}' is not an image id: expected sha256:<64 lower-case hex digits>, as the engine gives it.");

    public static bool TryParse(string? text, out ImageId id)
    {
        id = text is not null && IdPattern().IsMatch(text) ? new ImageId(text) : null!;
        return id is not null;
    }

    public override string ToString() => Value;

    [GeneratedRegex("^sha256:[0-9a-f]{64}$")]
    private static partial Regex IdPattern();
}
