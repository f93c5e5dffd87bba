using System.Text;
using Strata.Vault.States;
using Strata.Vault.Tests.Fakes;

namespace Strata.Vault.Tests;

internal static class Support
{
    public const string Pass = "correct horse";
    public static readonly byte[] Key = Encoding.UTF8.GetBytes(Pass);

    /// <summary>A terminal that answers a new vault's two prompts.</summary>
    public static FakeTerminal NewVault(string pass = Pass) => new FakeTerminal().Type(pass, pass);
    public static FakeTerminal SealedVault(string pass = Pass) => new FakeTerminal().Type(pass);

    /// <summary>Nothing of the vault is left in the kernel (the mount point sealed, as while locked).</summary>
    public static void NothingLeft(FakeKernel k)
    {
        Assert.Null(k.DmMapping);
        Assert.Empty(k.Loops);
        Assert.Null(k.ImageFile);
        Assert.False(k.RamFolderMounted);
        // (k.Opener may survive a lock killed at its very end: it names no open vault, and the next unlock rewrites it.)
        Assert.Equal([FakeKernel.MountKind.Placeholder], k.MountStack);
    }

    /// <summary>Sealed: the image with its key and files, nothing open.</summary>
    public static void SealedWith(FakeKernel k, params string[] files)
    {
        Assert.IsType<VaultState.Sealed>(new Machine(k).State);
        Assert.Null(k.DmMapping);
        Assert.Empty(k.Loops);
        Assert.Equal(Key, k.ImageFile!.Key);
        Assert.Equal(files.Order(), k.ImageFile.Files.Order());
    }
}
