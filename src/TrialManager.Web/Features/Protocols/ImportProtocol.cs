using TrialManager.Web.Authorization;

namespace TrialManager.Web.Features.Protocols;

/// <summary>The administrator's import of a protocol file: preview first, then confirm. Checks the policy itself.</summary>
public sealed class ImportProtocol(ProtocolImporter importer, CurrentUser me)
{
    public async Task<ProtocolImportPreview> PreviewAsync(string text, string fileName, CancellationToken cancellationToken = default)
    {
        await me.DemandAsync(Policies.Administration);
        return await importer.PreviewAsync(text, fileName, cancellationToken);
    }

    public async Task<ProtocolImportPreview> ConfirmAsync(string text, string fileName, CancellationToken cancellationToken = default)
    {
        await me.DemandAsync(Policies.Administration);
        return await importer.ImportAsync(text, fileName, new ProtocolImportActor(me.Id, me.DisplayName), cancellationToken);
    }
}
