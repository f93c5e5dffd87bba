using Strata.Graph;
using Strata.Oci;

namespace Strata.Images;

/// <summary>An image is bigger than its size_budget: the build fails before any tag moves.</summary>
public sealed class SizeBudgetExceededException(string message) : Exception(message);

/// <summary>The size_budget gate of strata.yaml: checked on every image a run builds or reuses, before it can be promoted or pushed.</summary>
public static class SizeBudget
{
    /// <summary>Throws when <paramref name="bytes"/> is over the image's budget; the message names the image, the size, the budget and the largest layers.</summary>
    public static void Check(ImageSpec image, Platform platform, long bytes, ImageSize? layers)
    {
        if (image.SizeBudget is not { } budget || bytes <= budget.Bytes) return;
        var largest = layers is null ? "" : "; largest layers: " + string.Join(", ",
            layers.Largest(3).Select(l => $"{ByteSize.Format(l.Bytes)} {Step(l.CreatedBy)}"));
        throw new SizeBudgetExceededException(
            $"image '{image.Name}' ({platform}) is {ByteSize.Format(bytes)}, over its size_budget of {budget} in strata.yaml{largest}. " +
            "No tag moved. Make the image smaller (the largest layers first; see wasted_bytes in artifacts/build-report.json) or raise its size_budget.");
    }

    /// <summary>A layer's step, short: "RUN apt-get install ..." without the builder's "/bin/sh -c #(nop)" and cut at 80 characters.</summary>
    public static string Step(string createdBy)
    {
        var step = createdBy.Replace("/bin/sh -c #(nop) ", "").Replace("/bin/sh -c ", "RUN ").Trim();
        step = string.Join(' ', step.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return step.Length <= 80 ? step : step[..77] + "...";
    }
}
