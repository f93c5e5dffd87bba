using Strata.Oci;

namespace Strata.Engine;

/// <summary>
/// How an engine operation names an image: by a reference (a tag, or a digest) or by its engine id. Either converts
/// implicitly, so callers pass what they hold; the engine gets <see cref="ToString"/>.
/// </summary>
public sealed record ImageLocator
{
    private ImageLocator(ImageReference? reference, ImageId? id) => (Reference, Id) = (reference, id);

    /// <summary>The reference, when the image is named by one.</summary>
    public ImageReference? Reference { get; }

    /// <summary>The engine id, when the image is named by one.</summary>
    public ImageId? Id { get; }

    /// <summary>A tag reference (<c>repo:tag</c> or <c>repo</c>), as opposed to an id or a digest reference.</summary>
    public bool IsTag => Reference is { Digest: null };

    public static implicit operator ImageLocator(ImageReference reference) => new(reference ?? throw new ArgumentNullException(nameof(reference)), null);

    public static implicit operator ImageLocator(ImageId id) => new(null, id ?? throw new ArgumentNullException(nameof(id)));

    public override string ToString() => Reference?.ToString() ?? Id!.ToString();
}
