using Strata.Engine;

namespace Strata.Images;

/// <summary>One layer as a report shows it: the step that made it, the bytes it writes, and how many of them a later layer deletes or overwrites.</summary>
public sealed record LayerSize(string CreatedBy, long Bytes, long WastedBytes);

/// <summary>
/// An image's size by layer, and its waste: bytes written in one layer and deleted (a whiteout, or an opaque folder) or
/// overwritten (the same path written again) in a later one. They still travel with every pull of the image.
/// </summary>
public sealed record ImageSize(IReadOnlyList<LayerSize> Layers)
{
    public long Bytes => Layers.Sum(l => l.Bytes);
    public long WastedBytes => Layers.Sum(l => l.WastedBytes);

    public IReadOnlyList<LayerSize> Largest(int count) => Layers.OrderByDescending(l => l.Bytes).Take(count).ToList();

    public static ImageSize Of(IReadOnlyList<ImageLayer> layers)
    {
        // The live files: path -> (layer index, size). A later layer's entry ends what an earlier one wrote.
        var live = new Dictionary<string, (int Layer, long Size)>(StringComparer.Ordinal);
        var wasted = new long[layers.Count];
        for (var i = 0; i < layers.Count; i++)
        {
            foreach (var entry in layers[i].Entries)
            {
                switch (entry.Kind)
                {
                    case LayerEntryKind.File:
                        End(entry.Path, under: false);
                        live[entry.Path] = (i, entry.Size);
                        break;
                    case LayerEntryKind.Whiteout:
                        End(entry.Path, under: true);
                        break;
                    case LayerEntryKind.Opaque:
                        // The folder's earlier content is hidden; the folder itself stays.
                        EndUnder(entry.Path == "/" ? "" : entry.Path, i);
                        break;
                }
            }

            void End(string path, bool under)
            {
                if (live.Remove(path, out var old) && old.Layer < i) wasted[old.Layer] += old.Size;
                if (under) EndUnder(path, i);
            }
        }
        return new ImageSize(layers.Select((l, i) => new LayerSize(l.CreatedBy, l.Bytes, wasted[i])).ToList());

        void EndUnder(string folder, int layer)
        {
            foreach (var path in live.Keys.Where(p => p.StartsWith(folder + "/", StringComparison.Ordinal)).ToList())
                if (live[path].Layer < layer)
                {
                    wasted[live[path].Layer] += live[path].Size;
                    live.Remove(path);
                }
        }
    }
}
