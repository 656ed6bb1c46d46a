using System.Globalization;
using Microsoft.EntityFrameworkCore;
using TrialManager.Documents;
using TrialManager.Domain.Protocols;
using TrialManager.Domain.Safety;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Protocols;
using TrialManager.Web.Features.Safety;
using TrialManager.Web.Features.Signatures;
using Choice = TrialManager.Documents.Choice;
using Site = TrialManager.Web.Data.Site;

namespace TrialManager.Web.Features.Documents;

/// <summary>
/// A one-event serious adverse event report in the boxed layout sites know from CIOMS I (our own layout and wording),
/// for the expedited submission. The study drug is named as blinded with its kit codes: the allocation never appears.
/// </summary>
public sealed class SaeReport(SafetyOverview overview, TrialDbContext db, TrialProtocols protocols, PdfDownloads downloads)
{
    public sealed record Data(
        EventStanding Standing,
        Participant Participant,
        Site Site,
        Trial Trial,
        Protocol Protocol,
        IReadOnlyList<Dispensing> Dispensings,
        SignatureRecord? Signature);

    public async Task<IResult> DownloadAsync(Guid eventId, CancellationToken cancellationToken)
    {
        if (await overview.FindAsync(eventId, cancellationToken) is not { } standing)
        {
            return Results.NotFound();
        }

        var participant = await db.Participants.AsNoTracking().SingleAsync(p => p.Id == standing.Event.ParticipantId, cancellationToken);
        var site = await db.Sites.AsNoTracking().SingleAsync(s => s.Id == participant.SiteId, cancellationToken);
        var trial = await db.Trials.AsNoTracking().SingleAsync(t => t.Id == participant.TrialId, cancellationToken);
        var protocol = await protocols.ForVersionAsync(participant.ProtocolVersionId, cancellationToken);
        var dispensings = await db.Dispensings.AsNoTracking().Where(d => d.ParticipantId == participant.Id).OrderBy(d => d.At).ToListAsync(cancellationToken);
        var signatures = await db.Signatures.AsNoTracking().Where(s => s.AdverseEventId == eventId).ToListAsync(cancellationToken);
        var state = SignAdverseEvent.Status(signatures, standing.Current);
        var signature = state.Latest is null ? null : new SignatureRecord(state.Latest, state.Broken);
        var document = Build(new Data(standing, participant, site, trial, protocol, dispensings, signature));
        return await downloads.SendAsync(
            new DocumentRequest(document, "SAE", $"{standing.Event.Number}-v{standing.Event.CurrentVersion}.pdf", nameof(AdverseEvent), standing.Event.Id.ToString(),
                participant.TrialId, participant.SiteId, participant.Id),
            cancellationToken);
    }

    public static ReportDocument Build(Data data)
    {
        var s = data.Standing;
        var v = s.Current;
        var safety = data.Protocol.Safety;
        var kind = v.Version == 1 ? "Initial report" : $"Follow-up report {v.Version - 1}";
        var document = new ReportDocument($"Serious adverse event report: {s.Event.Number}") { Subject = $"{kind} of {s.Event.Number}" }
            .AddContext("Trial", data.Trial.Code)
            .AddContext("Site", data.Site.Code)
            .AddContext("Participant", data.Participant.Number)
            .AddContext("Report", $"{kind} (version {v.Version})");

        var criteria = v.CriteriaCodes.ToHashSet(StringComparer.Ordinal);
        var ageAtOnset = v.Onset.Year - data.Participant.YearOfBirth;
        document.Add(
            new FieldGrid(
                new FieldGridRow(
                    new FieldGridCell("1. Participant", data.Participant.Number) { FieldCode = "SAE.PT" },
                    new FieldGridCell("1a. Country", data.Site.Country),
                    new FieldGridCell("2. Year of birth", data.Participant.YearOfBirth.ToString(CultureInfo.InvariantCulture)),
                    new FieldGridCell("2a. Age at onset", $"about {ageAtOnset}", 0.8),
                    new FieldGridCell("3. Sex", data.Participant.Sex, 0.6),
                    new FieldGridCell("4-6. Onset", DocumentSections.Date(v.Onset))),
                new FieldGridRow(
                    new FieldGridCell("7+13. Describe the reaction", Describe(v), 2.2) { Lines = 4 },
                    new FieldGridCell("8-12. Seriousness (tick all that apply)")
                    {
                        Choices = [.. safety.SeriousnessCriteria.Select(c => new Choice(c.Label, criteria.Contains(c.Code)))],
                    }))
            { Title = "I. Reaction information" },
            new FieldGrid(
                new FieldGridRow(
                    new FieldGridCell("14. Suspect drug", $"Study drug of {data.Trial.Code} (blinded: active or placebo). Kits: {Kits(data.Dispensings)}", 2),
                    new FieldGridCell("15. Dose", $"{data.Protocol.Dosing.Dose.Amount.ToString(CultureInfo.InvariantCulture)} {data.Protocol.Dosing.Dose.Unit} per dosing day")),
                new FieldGridRow(
                    new FieldGridCell("17. Indication", data.Trial.Title, 2),
                    new FieldGridCell("18. First dispensed", data.Dispensings.Count == 0 ? "Not dispensed" : DocumentSections.Utc(data.Dispensings[0].At))),
                new FieldGridRow(
                    new FieldGridCell("20. Action taken with the drug", v.ActionTaken.Describe()),
                    new FieldGridCell("Outcome", v.Outcome.Describe() + (v.End is { } end ? $", ended {DocumentSections.Date(end)}" : "")),
                    new FieldGridCell($"CTCAE {safety.CtcaeVersion} grade", v.Grade.ToString(CultureInfo.InvariantCulture), 0.7)))
            { Title = "II. Suspect drug information" },
            new FieldGrid(
                new FieldGridRow(
                    new FieldGridCell("Investigator's causality", v.Causality.Describe()),
                    new FieldGridCell("Sponsor's causality", s.LatestAssessment?.SponsorCausality.Describe() ?? "Not yet assessed"),
                    new FieldGridCell("Expectedness", s.LatestAssessment is { } a ? (a.Expected ? "Expected" : "Unexpected") + " (sponsor)" : (s.Status.ExpectedByReferenceList ? "On" : "Not on") + " the reference list")),
                new FieldGridRow(
                    new FieldGridCell("Special interest", v.SpecialInterestCode is { } code ? safety.SpecialInterestEvents.FirstOrDefault(e => e.Code == code)?.Term ?? code : "No"),
                    new FieldGridCell("SUSAR", s.Status.IsSusar ? "Yes" : s.Status.AwaitingAssessment ? "Awaiting assessment" : "No"),
                    new FieldGridCell("Treatment allocation", "Blinded in this report")))
            { Title = "III. Assessment" },
            new FieldGrid(
                new FieldGridRow(
                    new FieldGridCell("24a. Site learned of it", DocumentSections.Utc(v.SiteAwareAt)),
                    new FieldGridCell("24b. Received by the sponsor", DocumentSections.Utc(v.ReceivedAt)),
                    new FieldGridCell("24c. Report type", kind)),
                new FieldGridRow(
                    new FieldGridCell("Reported by", v.ReportedByName),
                    new FieldGridCell("Sponsor", data.Trial.Code),
                    new FieldGridCell("Reference", s.Event.Number)))
            { Title = "IV. Reporting information" });

        if (s.Status.Clocks.Count > 0)
        {
            document.Add(new Table(
                [new TableColumn("Clock", 2.5), new TableColumn("Due (UTC)", 1.5), new TableColumn("Met (UTC)", 1.5)],
                [.. s.Status.Clocks.Select(c => new TableRow(c.Describe(), DocumentSections.Utc(c.DueAt), c.MetAt is { } met ? DocumentSections.Utc(met) : "Open"))])
            { Title = "Reporting clocks", Compact = true });
        }

        if (v.FollowUpNote is { } note)
        {
            document.Add(new Heading("What is new in this follow-up", 2), new Paragraph(note));
        }

        document.Add(DocumentSections.Signature(data.Signature, "Investigator's signature of this report"));
        return document;
    }

    private static string Describe(AdverseEventVersion v)
    {
        var coded = v.CodedTerm is { } term ? $" (coded: {term}{(v.Code is { } code ? " " + code : "")})" : "";
        var narrative = string.IsNullOrWhiteSpace(v.Narrative) ? "" : " " + v.Narrative;
        return $"{v.ReportedTerm}{coded}.{narrative}";
    }

    private static string Kits(IReadOnlyList<Dispensing> dispensings) =>
        dispensings.Count == 0 ? "none dispensed" : string.Join(", ", dispensings.Select(d => d.KitCode).Distinct(StringComparer.Ordinal));
}
