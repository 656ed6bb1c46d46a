using TrialManager.Web.Components.Shared;
using TrialManager.Web.Features.Administration;
using TrialManager.Web.Features.Notifications;
using TrialManager.Web.Features.Participants;
using TrialManager.Web.Features.Protocols;
using TrialManager.Web.Features.Randomization;

namespace TrialManager.Web.Features;

public static class FeatureServices
{
    /// <summary>One class per operation, each a scoped service that its page calls.</summary>
    public static IServiceCollection AddFeatureOperations(this IServiceCollection services)
    {
        services.AddScoped<StatusCookie>();
        services.AddScoped<UnblindedRoleGrants>();
        services.AddScoped<CreateUser>();
        services.AddScoped<UpdateUserAccess>();
        services.AddScoped<SetUserDisabled>();
        services.AddScoped<IssueOneTimePassword>();
        services.AddScoped<Audit.AccountAudit>();
        services.AddScoped<Audit.SearchAuditTrail>();
        services.AddScoped<Audit.ExportAuditTrail>();
        services.AddScoped<Audit.VerifyAuditChain>();
        services.AddScoped<ProtocolImporter>();
        services.AddScoped<ImportProtocol>();
        services.AddSingleton<TrialProtocols>();
        services.AddSingleton<Notifier>();
        services.AddSingleton<ListVerifier>();
        services.AddScoped<KitStock>();
        services.AddScoped<Supply.SupplyLedger>();
        services.AddScoped<Supply.SupplyAccess>();
        services.AddScoped<Supply.SupplyOverview>();
        services.AddScoped<Supply.ResupplyCheck>();
        services.AddHostedService<Supply.ResupplyWorker>();
        services.AddScoped<Supply.ShipShipment>();
        services.AddScoped<Supply.CancelShipment>();
        services.AddScoped<Supply.ReceiveShipment>();
        services.AddScoped<Supply.DecideQuarantine>();
        services.AddScoped<Supply.RecordSiteKitEvent>();
        services.AddScoped<Supply.RegisterLot>();
        services.AddScoped<Supply.RecordDestruction>();
        services.AddScoped<Supply.WitnessDestruction>();
        services.AddScoped<Supply.CancelDestruction>();
        services.AddScoped<Supply.AccountabilityLogPdf>();
        services.AddScoped<GenerateRandomizationList>();
        services.AddScoped<RandomizeParticipant>();
        services.AddScoped<DispenseKit>();
        services.AddScoped<ParticipantAccess>();
        services.AddScoped<RegisterParticipant>();
        services.AddScoped<ScreenParticipant>();
        services.AddScoped<SaveForm>();
        services.AddScoped<RecordVisit>();
        services.AddScoped<RecordDiary>();
        services.AddScoped<ReturnKit>();
        services.AddScoped<EndParticipation>();
        services.AddScoped<DataQueryWorkflow>();
        services.AddScoped<ReportDeviation>();
        services.AddScoped<CorrectStratification>();
        services.AddScoped<Signatures.SignatureCheck>();
        services.AddScoped<Signatures.SignVisit>();
        services.AddScoped<Safety.SafetyAccess>();
        services.AddScoped<Safety.SafetyOverview>();
        services.AddScoped<Safety.ReportAdverseEvent>();
        services.AddScoped<Safety.AssessAdverseEvent>();
        services.AddScoped<Safety.RecordExpeditedReport>();
        services.AddScoped<Signatures.SignAdverseEvent>();
        services.AddScoped<Signatures.SignCasebook>();
        services.AddScoped<Documents.PdfDownloads>();
        services.AddScoped<Documents.RecordReader>();
        services.AddScoped<Documents.VisitCrf>();
        services.AddScoped<Documents.SaeReport>();
        services.AddScoped<Documents.AuditTrailPdf>();
        services.AddScoped<Documents.Casebook>();
        services.AddScoped<Documents.BlankCrfBook>();
        services.AddScoped<Dsmb.DsmbReportReader>();
        services.AddSingleton<Dsmb.DsmbSourceCache>();
        services.AddSingleton<Dsmb.ClosedReportCache>();
        services.AddScoped<Dsmb.ClosedReport>();
        services.AddScoped<Dsmb.OpenReport>();
        services.AddSingleton<Unblinding.Allocations>();
        services.AddScoped<Blinding.RecordBlindingGuess>();
        services.AddScoped<Blinding.BlindingResults>();
        services.AddScoped<Unblinding.Reauthentication>();
        services.AddScoped<Unblinding.RevealAllocation>();
        services.AddScoped<Unblinding.ListAccess>();
        services.AddScoped<Exports.ExportReader>();
        services.AddScoped<Exports.TrialExports>();
        services.AddScoped<DatabaseLock.TrialLocks>();
        services.AddSingleton<Safety.SafetyClockMonitor>();
        services.AddHostedService(sp => sp.GetRequiredService<Safety.SafetyClockMonitor>());
        return services;
    }
}
