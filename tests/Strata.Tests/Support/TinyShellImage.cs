using System.Formats.Tar;
using System.Text.RegularExpressions;
using Strata.Engine;
using Strata.IO;
using Strata.Oci;

namespace Strata.Tests.Support;

/// <summary>
/// An image of a few hundred KiB that can RUN shell steps: the host's dash as /bin/sh and the libraries
/// ldd names for it, imported. For tests whose images move through a registry or are exported, where
/// the chain's OS image (about 120 MB) would cost seconds to push and read.
/// </summary>
public static partial class TinyShellImage
{
    public static async Task ImportAsync(IEngine docker, ImageReference tag)
    {
        var libraries = new List<string>();
        await ChildProcess.RunAsync("ldd", ["/bin/dash"], line =>
        {
            if (LibraryPath().Match(line) is { Success: true } m) libraries.Add(m.Groups[1].Value);
        }, null, CancellationToken.None);
        await docker.Images.ImportAsync(async (stdin, ct) =>
        {
            await using var tar = new TarWriter(stdin, TarEntryFormat.Gnu, leaveOpen: true);
            foreach (var (path, source) in libraries.Select(l => (l, l)).Append(("/bin/sh", "/bin/dash")))
            {
                var real = new FileInfo(source).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? source;
                await using var content = File.OpenRead(real);
                await tar.WriteEntryAsync(new GnuTarEntry(TarEntryType.RegularFile, path.TrimStart('/'))
                {
                    DataStream = content, Mode = (UnixFileMode)0b111_101_101,
                }, ct);
            }
        }, tag, System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.Arm64
            ? Strata.Oci.Platform.LinuxArm64 : Strata.Oci.Platform.LinuxAmd64); // the host's own programs
    }

    // "	libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" and "	/lib64/ld-linux-x86-64.so.2 (0x...)"
    [GeneratedRegex(@"(?:=> |^\s*)(/\S+) \(0x")]
    private static partial Regex LibraryPath();
}
