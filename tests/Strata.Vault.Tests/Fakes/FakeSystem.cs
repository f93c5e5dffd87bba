using Strata.Vault.Names;
using Strata.Vault.Root;
using Strata.Vault.Secrets;
using Strata.Vault.States;

namespace Strata.Vault.Tests.Fakes;

/// <summary>The process was killed (SIGKILL): nothing of it runs any more, no undo, no message.</summary>
public sealed class ProcessKilled() : Exception("killed");

/// <summary>
/// One process's view of the <see cref="FakeKernel"/> (the user side, or one root helper). Every step that
/// changes the kernel goes through <see cref="Step"/>, so a test can make any step fail, or kill the process or
/// signal it right after any step.
/// </summary>
public sealed class FakeSystem(FakeKernel kernel, VaultNames names) : IPrivilegedSystem
{
    public FakeKernel Kernel => kernel;
    public List<string> Steps { get; } = [];
    /// <summary>The step that fails (a tool exiting non-zero).</summary>
    public string? FailAt { get; set; }
    /// <summary>Called after each step, with its name (kill or signal the process there).</summary>
    public Action<string>? After { get; set; }
    public bool Killed { get; private set; }

    public void Kill()
    {
        Killed = true;
        if (_lock is not null) { kernel.LockHeld = false; _lock = null; }   // the kernel drops a dead process's flock
        throw new ProcessKilled();
    }

    private void Alive()
    {
        if (Killed) throw new ProcessKilled();
    }

    private void Step(string name, Action action)
    {
        Alive();
        if (FailAt == name) throw new VaultException($"{name} failed (exit 1)");
        action();
        kernel.Settle();
        Steps.Add(name);
        After?.Invoke(name);
    }

    // --- inspection
    public string? MappingDevice() { Alive(); return kernel.DmMapping is null ? null : "254:0"; }
    public string? MappingUuid() => kernel.DmMapping is null ? null : "CRYPT-LUKS2-0123456789abcdef-" + names.Mapping;
    public MountEntry? TopMount(string path) =>
        path == names.MountPoint ? kernel.Top
        : path == names.RamFolder && kernel.RamFolderMounted ? new MountEntry("0:52", "strata-vault", "ramfs") : null;
    public bool ImageExists() => kernel.ImageFile is not null;
    public bool ImageComplete() => kernel.ImageFile is { Complete: true };
    public IReadOnlyList<string> Loops() => kernel.Loops.Select(l => l.Device).ToList();   // (by path: a deleted image's too)
    public bool PreflightCached() => kernel.PreflightCached;
    public int CountEntries() => kernel.VaultMounted ? kernel.ImageFile!.Files.Count : 0;
    public long AvailableMemory() => kernel.AvailableMemory;
    public IReadOnlyList<string> Preflight() => kernel.MissingPieces;
    public void CachePreflight() => kernel.PreflightCached = true;
    public void ForgetPreflight() => kernel.PreflightCached = false;
    public bool DeferredRemovalPending() => kernel.DmMapping is { Deferred: true };
    public int? OpenCount() => kernel.DmMapping is { } m ? m.Holders + (kernel.MountStack.Contains(FakeKernel.MountKind.Vault) ? 1 : 0) : null;
    public bool AutoclearLoopsPresent() => kernel.Loops.Any(l => l.Autoclear && kernel.DmMapping?.Loop == l);
    public IReadOnlyList<string> OurLoops() => kernel.Loops.Where(l => l.Backing == kernel.ImageFile).Select(l => l.Device).ToList();
    public bool ImageIsLuks() => kernel.ImageFile is { Luks: true };
    public string? ReadOpener() => kernel.Opener;
    public IReadOnlyList<string> ProcessesUsingMountPoint() => kernel.VaultBusy ? ["pid 42 (vim note.txt)"] : [];

    private object? _lock;
    public IDisposable? TryLock()
    {
        Alive();
        if (kernel.LockHeld) return null;
        kernel.LockHeld = true;
        _lock = new object();
        return new Release(() => { if (_lock is not null) { kernel.LockHeld = false; _lock = null; } });
    }

    // --- unlock steps
    public void MountRamFolder() => Step("MountRamFolder", () => { kernel.RamFolderExists = kernel.RamFolderMounted = true; });
    public void CreateImage(long bytes) => Step("CreateImage", () => kernel.ImageFile = new FakeKernel.Image());
    public void FormatLuks(Secret passphrase) => Step("FormatLuks", () => { kernel.ImageFile!.Luks = true; kernel.ImageFile.Key = passphrase.Span.ToArray(); });
    public OpenResult OpenLuks(Secret passphrase)
    {
        var result = OpenResult.Failed;
        Step("OpenLuks", () =>
        {
            var image = kernel.ImageFile!;
            if (!image.Luks) return;
            if (!passphrase.Span.SequenceEqual(image.Key)) { result = OpenResult.WrongPassphrase; return; }
            if (kernel.DmMapping is not null) return;   // the name is taken
            kernel.DmMapping = new FakeKernel.Mapping { Loop = kernel.AttachLoop(image, autoclear: true) };
            result = OpenResult.Opened;
        });
        return result;
    }
    public void MakeFilesystem() => Step("MakeFilesystem", () => { kernel.ImageFile!.HasFilesystem = true; kernel.ImageFile.Files.Clear(); });
    public void MarkImageComplete() => Step("MarkImageComplete", () => kernel.ImageFile!.Complete = true);
    public void EnsureMountPoint() { Alive(); kernel.MountPointExists = true; }
    public void MountPlaceholder() => Step("MountPlaceholder", () => kernel.MountStack.Add(FakeKernel.MountKind.Placeholder));
    public void MountVault() => Step("MountVault", () =>
    {
        if (kernel.DmMapping is null || kernel.ImageFile is not { HasFilesystem: true }) throw new VaultException("mount failed");
        kernel.MountStack.Add(FakeKernel.MountKind.Vault);
    });
    public void MarkDeferredRemoval() => Step("MarkDeferredRemoval", () => kernel.DmMapping!.Deferred = true);
    public void WriteOpener(string nonce) => Step("WriteOpener", () => kernel.Opener = nonce);

    // --- teardown steps
    public bool UnmountVault()
    {
        var ok = false;
        Step("UnmountVault", () =>
        {
            if (kernel.VaultBusy) return;
            kernel.MountStack.RemoveAt(kernel.MountStack.LastIndexOf(FakeKernel.MountKind.Vault));
            ok = true;
        });
        return ok;
    }
    public void CloseMapping() => Step("CloseMapping", () =>
    {
        if (kernel.DmMapping is { } m && m.Holders == 0 && !kernel.MountStack.Contains(FakeKernel.MountKind.Vault)) kernel.RemoveMapping(m);
    });
    public bool DetachLoop(string device)
    {
        Step("DetachLoop", () => kernel.Loops.RemoveAll(l => l.Device == device && kernel.DmMapping?.Loop != l));
        return kernel.Loops.All(l => l.Device != device);
    }
    public void WipeKeyslots() => Step("WipeKeyslots", () => { if (kernel.ImageFile is { } i) i.Key = null; });
    public void RemoveImage() => Step("RemoveImage", () => kernel.ImageFile = null);
    public void UnmountRamFolder() => Step("UnmountRamFolder", () => kernel.RamFolderMounted = false);
    public void RemoveRamFolder() => Step("RemoveRamFolder", () => kernel.RamFolderExists = false);
    public void RemoveOpener() => Step("RemoveOpener", () => kernel.Opener = null);

    private sealed class Release(Action action) : IDisposable
    {
        public void Dispose() => action();
    }
}
