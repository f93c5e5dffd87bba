using Strata.IO;

namespace Strata.Engine;

/// <summary>
/// Reads one layer's entries from the folder the engine keeps it in (overlay2's diff folder), as the layer's tar in
/// `docker save` would list them: files with their size (a hard-linked file once, under the first of its paths in byte
/// order, as <see cref="ImageLayersReader"/> counts it too), whiteouts
/// (overlayfs's 0:0 character devices, ".wh." entries in a tar) and opaque folders (the trusted.overlay.opaque
/// attribute, ".wh..wh..opq"). Only metadata is read: a layer of thousands of files takes milliseconds, where the
/// save writes and reads the whole image.
/// </summary>
internal static class LayerFolderReader
{
    private const string OpaqueAttribute = "trusted.overlay.opaque";

    public static IReadOnlyList<LayerEntry> Read(string folder)
    {
        var entries = new List<LayerEntry>();
        var linked = new HashSet<ulong>();
        Walk(folder, "");
        return entries;

        void Walk(string directory, string path)
        {
            // Names in byte order, folders entered as met: a hard-linked file's first path is its first in byte order.
            foreach (var name in Directory.EnumerateFileSystemEntries(directory).Select(Path.GetFileName).Order(StringComparer.Ordinal))
            {
                var full = Path.Combine(directory, name!);
                var entry = path + "/" + name;
                var status = UnixFileStatus.Of(full);
                switch (status.Type)
                {
                    case UnixFileType.Directory:
                        if (UnixFileStatus.Attribute(full, OpaqueAttribute) == "y") entries.Add(new LayerEntry(entry, 0, LayerEntryKind.Opaque));
                        Walk(full, entry);
                        break;
                    case UnixFileType.CharacterDevice when status is { DeviceMajor: 0, DeviceMinor: 0 }:
                        entries.Add(new LayerEntry(entry, 0, LayerEntryKind.Whiteout));
                        break;
                    case UnixFileType.RegularFile when status.LinkCount == 1 || linked.Add(status.Inode):
                        entries.Add(new LayerEntry(entry, status.Size, LayerEntryKind.File));
                        break;
                }
            }
        }
    }
}
