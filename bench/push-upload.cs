#:project ../src/Strata/Strata.csproj
// Strata's own push of one engine image (what a --reproducible release does per key tag): save, StableGzip, upload,
// manifest, tag. For bench/push.sh, which times it against `docker push` of the same image.
// Usage: dotnet run bench/push-upload.cs -- IMAGE REGISTRY_HOST[:PORT]/NAMESPACE REPOSITORY:TAG
using Strata.Engine;
using Strata.Oci;
using Strata.Registry;
using Strata.Reproducible;

if (args.Length != 3)
{
    Console.Error.WriteLine("usage: push-upload IMAGE REGISTRY_HOST[:PORT]/NAMESPACE REPOSITORY:TAG");
    return 2;
}
var location = RegistryLocation.Parse(args[1]);
var target = ImageReference.Parse(location.ImageName(args[2]));
using var engine = new DockerEngine();
using var registry = new RegistryClient(location, RegistryLogin.Anonymous);
var pushed = await new ImageUpload(engine.Archives, registry, Console.WriteLine).PushAsync(ImageReference.Parse(args[0]), target);
Console.WriteLine(pushed.Manifest);
return 0;
