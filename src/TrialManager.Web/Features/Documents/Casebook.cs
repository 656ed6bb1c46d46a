using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using TrialManager.Documents;
using TrialManager.Domain.Participants;
using TrialManager.Domain.Protocols;
using TrialManager.Domain.Safety;
using TrialManager.Domain.Supply;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;
using TrialManager.Web.Data.Audit;
using TrialManager.Web.Features.Audit;
using TrialManager.Web.Features.Safety;
using TrialManager.Web.Features.Signatures;
using Site = TrialManager.Web.Data.Site;

namespace TrialManager.Web.Features.Documents;

/// <summary>One eligibility question as answered at screening; <see cref="Failure"/> is null when it was met.</summary>
public sealed record CasebookCriterion(string Code, CriterionKind Kind, string Text, string? Answer, string? Failure);

public sealed record CasebookEligibility(EligibilityAssessment Assessment, IReadOnlyList<CasebookCriterion> Criteria);

/// <summary>A kit handed to the participant and where it is now. Built from a projection: a kit's sealed arm is never read.</summary>
public sealed record CasebookKit(string KitCode, string VisitCode, DispensingKind Kind, DateTimeOffset DispensedAt, string ByName, KitState? State, DateOnly? ReturnedOn, int? UnusedUnitsReturned);

public sealed record CasebookPillCount(string KitCode, AdherenceResult Result);

/// <summary>Dosing from randomization on, computed as on the participant page (diary adherence to the site's today).</summary>
public sealed record CasebookDosing(DosingRegimen Regimen, int StudyDay, AdherenceResult Adherence, IReadOnlyList<CasebookPillCount> PillCounts, IReadOnlyList<DiaryEntry> Diary);

/// <summary>A visit's forms, where it stands on the calendar (randomized participants only) and when it was recorded as done or missed.</summary>
public sealed record CasebookVisit(VisitRecordData Record, ScheduledVisit? Scheduled, VisitStatus? Status, VisitRecord? Recorded);

public sealed record CasebookEvent(EventStanding Standing, SignatureRecord? Signature);

/// <summary>
/// Any signature of the participant's records; <see cref="Superseded"/> when a later one covers the same subject.
/// <see cref="Broken"/> is null when this document does not check it (a sign-off that is neither a visit's nor an event's).
/// </summary>
public sealed record CasebookSignature(string Subject, Signature Signature, bool? Broken, bool Superseded);

/// <summary>The audit entries of the participant the reader may see, oldest first; <see cref="Total"/> counts any left out.</summary>
public sealed record CasebookAudit(IReadOnlyList<AuditEntry> Entries, int Total, string ReaderName);

/// <summary>
/// Everything a casebook prints, read from the database in one place. It holds no protocol (so no list of arms) and
/// nothing of the randomization list or a kit's seal: the allocation cannot reach the document because it is never here.
/// </summary>
public sealed record CasebookData(
    Participant Participant,
    Site Site,
    Trial Trial,
    string ProtocolVersion,
    SafetyRules Safety,
    CasebookEligibility? Eligibility,
    IReadOnlyList<CasebookKit> Kits,
    CasebookDosing? Dosing,
    IReadOnlyList<CasebookVisit> Visits,
    IReadOnlyList<CasebookEvent> AdverseEvents,
    IReadOnlyList<ProtocolDeviation> Deviations,
    IReadOnlyList<CasebookSignature> Signatures,
    CasebookAudit Audit)
{
    /// <summary>Reveals of this participant's allocation (who, when, why; never the arm), shown as status only.</summary>
    public IReadOnlyList<Data.Unblinding> Unblindings { get; init; } = [];
}

/// <summary>
/// The participant casebook: the whole record of one participant (consent, eligibility, randomization number and kits,
/// every visit's forms, dosing, adverse events, deviations, signatures) with the audit trail the reader may see as an
/// appendix. Same scoping as the participant page: someone the reader may not see is a 404.
/// </summary>
public sealed class Casebook(
    RecordReader reader,
    TrialDbContext db,
    SafetyOverview overview,
    SearchAuditTrail audit,
    CurrentUser me,
    TimeProvider clock,
    SignCasebook signOff,
    PdfDownloads downloads)
{
    /// <summary>Longer audit trails are cut (oldest kept) with a note; the CSV export has no such limit.</summary>
    public const int MaxAuditRows = AuditTrailPdf.MaxRows;

    public async Task<IResult> DownloadAsync(Guid participantId, CancellationToken cancellationToken)
    {
        var data = await LoadAsync(participantId, cancellationToken);
        if (data is null)
        {
            return Results.NotFound();
        }

        var p = data.Participant;
        return await downloads.SendAsync(
            new DocumentRequest(Build(data), "CASEBOOK", $"{p.Number}-casebook.pdf", nameof(Participant), p.Id.ToString(), p.TrialId, p.SiteId, p.Id),
            cancellationToken);
    }

    /// <summary>Reads the casebook's data; null when there is no such participant or the user may not see them.</summary>
    public async Task<CasebookData?> LoadAsync(Guid participantId, CancellationToken cancellationToken)
    {
        var context = await reader.ParticipantAsync(participantId, cancellationToken);
        if (context is null)
        {
            return null;
        }

        var (participant, site, trial, protocol) = context;
        var id = participant.Id;
        var zone = TimeZoneInfo.FindSystemTimeZoneById(site.TimeZone);
        var today = SiteCalendar.LocalDate(clock.GetUtcNow(), zone);

        var assessment = await db.EligibilityAssessments.AsNoTracking().Where(a => a.ParticipantId == id).OrderByDescending(a => a.AssessedAt).FirstOrDefaultAsync(cancellationToken);
        var dispensings = await db.Dispensings.AsNoTracking().Where(d => d.ParticipantId == id).OrderBy(d => d.At).ToListAsync(cancellationToken);
        var kitIds = dispensings.Select(d => d.KitId).ToList();
        var kits = await db.Kits.AsNoTracking().Where(k => kitIds.Contains(k.Id))
            .Select(k => new { k.Id, k.Code, k.State, k.DispensedAt, k.ReturnedOn, k.UnusedUnitsReturned })
            .ToDictionaryAsync(k => k.Id, cancellationToken);
        var casebookKits = dispensings.Select(d =>
        {
            var kit = kits.GetValueOrDefault(d.KitId);
            return new CasebookKit(d.KitCode, d.VisitCode, d.Kind, d.At, d.ByName, kit?.State, kit?.ReturnedOn, kit?.UnusedUnitsReturned);
        }).ToList();

        var records = await db.VisitRecords.AsNoTracking().Where(v => v.ParticipantId == id).ToDictionaryAsync(v => v.VisitCode, cancellationToken);
        var schedule = new Dictionary<string, (ScheduledVisit Visit, VisitStatus Status)>(StringComparer.Ordinal);
        CasebookDosing? dosing = null;
        if (participant.RandomizedAt is { } randomizedAt)
        {
            var randomizedOn = SiteCalendar.LocalDate(randomizedAt, zone);
            foreach (var entry in VisitSchedule.Statuses(protocol, randomizedOn, today, code => records.TryGetValue(code, out var r) ? (r.DoneOn, r.Missed) : (null, false)))
            {
                schedule[entry.Visit.Visit.Code] = entry;
            }

            var studyDay = VisitSchedule.StudyDay(randomizedOn, today);
            var diary = await db.DiaryEntries.AsNoTracking().Where(d => d.ParticipantId == id).OrderBy(d => d.StudyDay).ToListAsync(cancellationToken);
            var adherence = Adherence.FromDiary(protocol.Dosing, studyDay, diary.ToDictionary(d => d.StudyDay, d => d.TookDose));
            var pillCounts = kits.Values.Where(k => k.State == KitState.Returned && k.ReturnedOn is not null && k.DispensedAt is not null && k.UnusedUnitsReturned is not null)
                .OrderBy(k => k.DispensedAt)
                .Select(k => new CasebookPillCount(k.Code, Adherence.FromReturnedKit(
                    protocol.Dosing, protocol.Kits, randomizedOn, SiteCalendar.LocalDate(k.DispensedAt!.Value, zone), k.ReturnedOn!.Value, k.UnusedUnitsReturned!.Value)))
                .ToList();
            dosing = new CasebookDosing(protocol.Dosing, studyDay, adherence, pillCounts, diary);
        }

        var visits = new List<CasebookVisit>();
        foreach (var visit in protocol.Visits.Where(v => v.Forms.Count > 0))
        {
            var record = await reader.VisitAsync(participant, protocol, visit, cancellationToken);
            var onCalendar = schedule.TryGetValue(visit.Code, out var scheduled);
            visits.Add(new CasebookVisit(record, onCalendar ? scheduled.Visit : null, onCalendar ? scheduled.Status : null, records.GetValueOrDefault(visit.Code)));
        }

        var signatures = await db.Signatures.AsNoTracking().Where(s => s.ParticipantId == id).OrderBy(s => s.SignedAt).ToListAsync(cancellationToken);
        var events = (await overview.ListAsync(id, cancellationToken))
            .Select(standing =>
            {
                var state = SignAdverseEvent.Status([.. signatures.Where(s => s.AdverseEventId == standing.Event.Id)], standing.Current);
                return new CasebookEvent(standing, state.Latest is null ? null : new SignatureRecord(state.Latest, state.Broken));
            }).ToList();

        var deviations = await db.ProtocolDeviations.AsNoTracking().Where(d => d.ParticipantId == id).OrderBy(d => d.RaisedAt).ToListAsync(cancellationToken);
        var signed = await SignaturesAsync(signatures, visits, events, id, cancellationToken);

        var scoped = (await audit.ScopedAsync(cancellationToken)).Where(e => e.ParticipantId == id);
        var total = await scoped.CountAsync(cancellationToken);
        var entries = await scoped.OrderBy(e => e.ChainSeq).Take(MaxAuditRows).ToListAsync(cancellationToken);

        return new CasebookData(
            participant, site, trial, protocol.Version, protocol.Safety,
            assessment is null ? null : Eligibility(protocol.Eligibility, assessment),
            casebookKits, dosing, visits, events, deviations, signed,
            new CasebookAudit(entries, total, me.DisplayName))
        {
            Unblindings = await db.Unblindings.AsNoTracking().Where(u => u.ParticipantId == id).OrderBy(u => u.RevealedAt).ToListAsync(cancellationToken),
        };
    }

    /// <summary>Every signature with whether its content still matches (the same hashes the signing operations use).</summary>
    private async Task<List<CasebookSignature>> SignaturesAsync(List<Signature> signatures, List<CasebookVisit> visits, List<CasebookEvent> events, Guid participantId, CancellationToken cancellationToken)
    {
        var visitHashes = visits.ToDictionary(v => v.Record.Visit.Code, v => SignVisit.ContentHashOf(v.Record.Forms.Select(f => f.Entry).OfType<FormEntry>()), StringComparer.Ordinal);
        var eventsById = events.ToDictionary(e => e.Standing.Event.Id);
        var latest = signatures.GroupBy(s => (s.AdverseEventId, s.VisitCode)).Select(g => g.MaxBy(s => s.SignedAt)!.Id).ToHashSet();
        var result = new List<CasebookSignature>();
        string? casebookHash = null;
        foreach (var signature in signatures)
        {
            string subject;
            bool? broken;
            if (signature.AdverseEventId is { } eventId)
            {
                if (!eventsById.TryGetValue(eventId, out var casebookEvent))
                {
                    // An event the reader may not see is left out here as it is everywhere else.
                    continue;
                }

                subject = $"Adverse event {casebookEvent.Standing.Event.Number}, version {signature.AdverseEventVersion}";
                broken = signature.ContentHash != SignAdverseEvent.ContentHash(casebookEvent.Standing.Current);
            }
            else if (signature.Subject == SignatureSubject.Casebook)
            {
                // The sign-off covers the whole record; its hash is the signing operation's, so both judge alike.
                subject = "The whole casebook (sign-off)";
                casebookHash ??= await signOff.ContentHashAsync(participantId, cancellationToken);
                broken = signature.ContentHash != casebookHash;
            }
            else
            {
                if (!visitHashes.TryGetValue(signature.VisitCode, out var hash))
                {
                    var code = signature.VisitCode;
                    hash = SignVisit.ContentHashOf(await db.FormEntries.AsNoTracking().Include(e => e.Values).Where(e => e.ParticipantId == participantId && e.VisitCode == code).ToListAsync(cancellationToken));
                    visitHashes[code] = hash;
                }

                subject = $"Visit {signature.VisitCode} forms";
                broken = signature.ContentHash != hash;
            }

            result.Add(new CasebookSignature(subject, signature, broken, !latest.Contains(signature.Id)));
        }

        return result;
    }

    private static CasebookEligibility Eligibility(EligibilityCriteria criteria, EligibilityAssessment assessment)
    {
        var answers = JsonSerializer.Deserialize<Dictionary<string, string?>>(assessment.AnswersJson) ?? [];
        var failures = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var failure in JsonDocument.Parse(assessment.FailuresJson).RootElement.EnumerateArray())
        {
            failures[failure.GetProperty("Criterion").GetString() ?? ""] = failure.TryGetProperty("Reason", out var reason) ? reason.GetString() ?? "" : "";
        }

        return new CasebookEligibility(assessment, [.. criteria.Criteria.Select(c => new CasebookCriterion(c.Code, c.Kind, c.Text, answers.GetValueOrDefault(c.Code), failures.GetValueOrDefault(c.Code)))]);
    }

    /// <summary>The casebook from its data alone (no database, no clock), so it can be built from synthetic data.</summary>
    public static ReportDocument Build(CasebookData data)
    {
        var p = data.Participant;
        var document = new ReportDocument($"Participant casebook: {p.Number}") { Subject = $"Casebook of participant {p.Number} in {data.Trial.Code}" }
            .AddContext("Trial", data.Trial.Code)
            .AddContext("Site", data.Site.Code)
            .AddContext("Participant", p.Number)
            .AddContext("Randomization no.", p.RandomizationNumber ?? "not randomized");

        document.Add(
            new Heading("Participant"),
            new KeyValueList(
                new KeyValueRow("Participant", p.Number),
                new KeyValueRow("Trial", $"{data.Trial.Code}: {data.Trial.Title}"),
                new KeyValueRow("Protocol version", data.ProtocolVersion),
                new KeyValueRow("Site", $"{data.Site.Code}, {data.Site.Name} ({data.Site.Country})"),
                new KeyValueRow("Year of birth, sex", $"{p.YearOfBirth.ToString(CultureInfo.InvariantCulture)}, {p.Sex}"),
                new KeyValueRow("Status", p.Status.ToString()),
                new KeyValueRow("Registered", DocumentSections.Utc(p.CreatedAt))),
            new Paragraph("Treatment allocation is blinded: this casebook holds the randomization number and kit codes, never the arm.") { Small = true });
        document.Add([.. Consent(data), .. Randomization(data), .. Dosing(data)]);

        document.Add(new PageBreak(), new Heading("Visits"));
        foreach (var visit in data.Visits)
        {
            document.Add([.. Visit(visit)]);
        }

        document.Add([.. AdverseEvents(data), .. Deviations(data), .. Signatures(data), .. AuditAppendix(data.Audit, p.Number)]);
        return document;
    }

    private static IEnumerable<Block> Consent(CasebookData data)
    {
        var p = data.Participant;
        yield return new Heading("Consent and eligibility");
        var consent = new List<KeyValueRow>
        {
            new("Consent given on", p.ConsentedOn is null ? "Not recorded" : DocumentSections.Date(p.ConsentedOn)),
            new("Consent form version", p.ConsentFormVersion ?? ""),
            new("Consent obtained by", p.ConsentObtainedByName ?? ""),
        };
        if (p.ConsentWithdrawnOn is not null)
        {
            consent.Add(new("Consent withdrawn on", DocumentSections.Date(p.ConsentWithdrawnOn)));
        }

        if (p.DrugDiscontinuedOn is not null)
        {
            consent.Add(new("Study drug discontinued", $"{DocumentSections.Date(p.DrugDiscontinuedOn)}: {p.DrugDiscontinuationReason}"));
        }

        if (p.WithdrawnOn is not null)
        {
            consent.Add(new("Left the trial", $"{DocumentSections.Date(p.WithdrawnOn)}: {p.WithdrawalReason}"));
        }

        yield return new KeyValueList(consent);

        if (data.Eligibility is not { } eligibility)
        {
            yield return new Paragraph(p.EligibilityConfirmedAt is { } confirmed
                ? $"No screening assessment is recorded; eligibility was confirmed {DocumentSections.Utc(confirmed)}."
                : "No screening assessment is recorded.");
            yield break;
        }

        var a = eligibility.Assessment;
        yield return new KeyValueList(
            new KeyValueRow("Screened", $"{DocumentSections.Utc(a.AssessedAt)} by {a.AssessedByName}"),
            new KeyValueRow("Outcome", a.Eligible ? "Eligible" : $"Not eligible ({eligibility.Criteria.Count(c => c.Failure is not null)} criteria not met)"));
        yield return new Table(
            [new TableColumn("Criterion", 1.4), new TableColumn("Kind", 0.9), new TableColumn("Question", 3.5), new TableColumn("Answer", 1.1), new TableColumn("Outcome", 2.2)],
            [.. eligibility.Criteria.Select(c => new TableRow(c.Code, c.Kind.ToString(), c.Text, c.Answer ?? "", c.Failure is null ? "Met" : $"Not met: {c.Failure}"))])
        { Title = "Eligibility criteria", Compact = true };
    }

    private static IEnumerable<Block> Randomization(CasebookData data)
    {
        var p = data.Participant;
        yield return new Heading("Randomization and kits");
        var rows = new List<KeyValueRow> { new("Randomization number", p.RandomizationNumber ?? "Not randomized") };
        if (p.RandomizedAt is { } at)
        {
            rows.Add(new("Randomized", $"{DocumentSections.Utc(at)} by {p.RandomizedByName}"));
        }

        if (p.StratumLevels.Length > 0)
        {
            rows.Add(new("Stratification", p.StratumLevels.Replace("|", ", ", StringComparison.Ordinal).Replace("=", ": ", StringComparison.Ordinal)));
        }

        rows.Add(new("Treatment allocation", "Blinded in this document"));
        foreach (var u in data.Unblindings)
        {
            var how = u.Kind == UnblindingKind.Vault ? "the safety officer's vault" : "an emergency code-break";
            rows.Add(new("Blind broken", $"{DocumentSections.Utc(u.RevealedAt)} through {how} by {u.RevealedByName} ({Unblinding.RevealAllocation.Describe(u.Reason)})"));
        }
        yield return new KeyValueList(rows);
        if (data.Kits.Count == 0)
        {
            yield return new Paragraph("No kits dispensed.");
            yield break;
        }

        yield return new Table(
            [new TableColumn("Kit"), new TableColumn("Visit", 0.7), new TableColumn("How", 1.1), new TableColumn("Dispensed (UTC)", 1.5), new TableColumn("By", 1.5), new TableColumn("State", 0.9), new TableColumn("Returned", 1.4)],
            [.. data.Kits.Select(k => new TableRow(
                k.KitCode,
                k.VisitCode,
                k.Kind.ToString(),
                DocumentSections.Utc(k.DispensedAt),
                k.ByName,
                k.State?.ToString() ?? "",
                k.ReturnedOn is null ? "" : $"{DocumentSections.Date(k.ReturnedOn)}, {k.UnusedUnitsReturned?.ToString(CultureInfo.InvariantCulture) ?? "?"} unused"))])
        { Title = "Kits dispensed", Compact = true };
    }

    private static IEnumerable<Block> Dosing(CasebookData data)
    {
        yield return new Heading("Dosing and adherence");
        if (data.Dosing is not { } dosing)
        {
            yield return new Paragraph("Dosing starts at randomization; the participant is not randomized.");
            yield break;
        }

        var r = dosing.Regimen;
        var adherence = dosing.Adherence;
        var flags = (adherence.BelowThreshold ? "; below 80 %" : "") + (adherence.ExtraDoses > 0 ? $"; {adherence.ExtraDoses} dose(s) on non-dosing days" : "");
        var rows = new List<KeyValueRow>
        {
            new("Regimen", $"{r.Dose.Amount.ToString(CultureInfo.InvariantCulture)} {r.Dose.Unit} {Pattern(r.Pattern)}, study days {r.StartDay} to {r.LastDay} ({r.TotalDoses} doses)"),
            new($"Diary adherence to study day {dosing.StudyDay.ToString(CultureInfo.InvariantCulture)}", $"{adherence.Percent} ({adherence.Taken} of {adherence.Scheduled} scheduled doses{flags})"),
        };
        rows.AddRange(dosing.PillCounts.Select(c => new KeyValueRow($"Kit {c.KitCode} by pill count", $"{c.Result.Percent} ({c.Result.Taken} of {c.Result.Scheduled})")));
        yield return new KeyValueList(rows) { LabelWidth = 0.4 };
        if (dosing.Diary.Count > 0)
        {
            yield return new Table(
                [new TableColumn("Study day", 0.8, CellAlignment.Right), new TableColumn("Dosing day", 0.9), new TableColumn("Diary", 1), new TableColumn("Recorded by", 1.8), new TableColumn("Recorded (UTC)", 1.5)],
                [.. dosing.Diary.Select(d => new TableRow(
                    d.StudyDay.ToString(CultureInfo.InvariantCulture),
                    r.IsDosingDay(d.StudyDay) ? "yes" : "no",
                    d.TookDose ? "Dose taken" : "Dose missed",
                    d.RecordedByName,
                    DocumentSections.Utc(d.RecordedAt)))])
            { Title = "Diary", Compact = true };
        }
    }

    private static string Pattern(DosingPattern pattern) => pattern switch
    {
        EveryNthDay { IntervalDays: 1 } => "every day",
        EveryNthDay n => $"every {n.IntervalDays.ToString(CultureInfo.InvariantCulture)} days",
        OnOffCycle c => $"{c.DaysOn.ToString(CultureInfo.InvariantCulture)} days on, {c.DaysOff.ToString(CultureInfo.InvariantCulture)} days off",
        _ => "",
    };

    private static IEnumerable<Block> Visit(CasebookVisit visit)
    {
        var v = visit.Record.Visit;
        var state = new List<string>();
        if (visit.Status is { } status)
        {
            state.Add(status.ToString());
        }

        if (visit.Recorded is { } recorded)
        {
            state.Add(recorded.Missed
                ? $"recorded missed by {recorded.RecordedByName}"
                : $"done on {DocumentSections.Date(recorded.DoneOn)} (recorded by {recorded.RecordedByName})");
        }

        if (visit.Scheduled is { } scheduled)
        {
            state.Add($"target {DocumentSections.Date(scheduled.Target)}, window {DocumentSections.Date(scheduled.Earliest)} to {DocumentSections.Date(scheduled.Latest)}");
        }

        var heading = new Heading($"Visit {v.Code}: {v.Name} (day {v.Day.ToString(CultureInfo.InvariantCulture)})");
        if (state.Count == 0)
        {
            state.Add(v.Kind == VisitKind.Screening ? "Before randomization" : "Not on the calendar: the participant is not randomized");
        }

        var summary = new Paragraph(string.Join("; ", state)) { Small = true };
        if (visit.Record.Forms.All(f => f.Entry is null) && visit.Record.Signature is null)
        {
            // A visit with nothing in it takes two lines, not a page of "(blank)".
            yield return new KeepTogether(heading, summary, new Paragraph("No form started; not signed."));
            yield break;
        }

        yield return new KeepTogether(heading, summary);
        foreach (var block in DocumentSections.Visit(visit.Record))
        {
            yield return block;
        }
    }

    private static IEnumerable<Block> AdverseEvents(CasebookData data)
    {
        yield return new PageBreak();
        yield return new Heading("Adverse events");
        if (data.AdverseEvents.Count == 0)
        {
            yield return new Paragraph("None reported.");
            yield break;
        }

        var safety = data.Safety;
        foreach (var (standing, signature) in data.AdverseEvents)
        {
            var status = standing.Status;
            var assessment = standing.LatestAssessment;
            var susar = status.IsSusar ? "Yes: suspected unexpected serious adverse reaction" : status.AwaitingAssessment ? "Awaiting the sponsor's assessment" : "No";
            yield return new KeepTogether(
                new Heading($"{standing.Event.Number}: {standing.Current.ReportedTerm}", 2),
                new KeyValueList(
                    new KeyValueRow("Current version", $"{standing.Current.Version.ToString(CultureInfo.InvariantCulture)} of {standing.Versions.Count.ToString(CultureInfo.InvariantCulture)}"),
                    new KeyValueRow("Investigator's causality", standing.Current.Causality.Describe()),
                    new KeyValueRow("Sponsor's assessment", assessment is null
                        ? "Not yet assessed"
                        : $"{assessment.SponsorCausality.Describe()}, {(assessment.Expected ? "expected" : "unexpected")} (version {assessment.AssessedVersion.ToString(CultureInfo.InvariantCulture)}, {assessment.AssessedByName}, {DocumentSections.Utc(assessment.AssessedAt)})"),
                    new KeyValueRow("SUSAR", susar))
                { LabelWidth = 0.3 });
            yield return new Table(
                [new TableColumn("Version", 0.7, CellAlignment.Right), new TableColumn("Received (UTC)", 1.2), new TableColumn("Report", 3.3), new TableColumn("Causality", 1), new TableColumn("Action, outcome", 1.5), new TableColumn("Reported by", 1.2)],
                [.. standing.Versions.Select(v => new TableRow(
                    v.Version.ToString(CultureInfo.InvariantCulture),
                    DocumentSections.Utc(v.ReceivedAt),
                    VersionSummary(v, safety),
                    v.Causality.Describe(),
                    $"{v.ActionTaken.Describe()}; {v.Outcome.Describe()}",
                    v.ReportedByName))])
            { Title = "Versions", Compact = true };
            if (standing.Assessments.Count > 0)
            {
                yield return new Table(
                    [new TableColumn("Assessed (UTC)", 1.2), new TableColumn("By", 1.2), new TableColumn("Of version", 0.7, CellAlignment.Right), new TableColumn("Sponsor's causality", 1.1), new TableColumn("Expected", 1), new TableColumn("SUSAR", 0.6), new TableColumn("Rationale", 2.6)],
                    [.. standing.Assessments.Select(a => new TableRow(
                        DocumentSections.Utc(a.AssessedAt),
                        a.AssessedByName,
                        a.AssessedVersion.ToString(CultureInfo.InvariantCulture),
                        a.SponsorCausality.Describe(),
                        a.Expected ? "Expected" : "Unexpected",
                        a.IsSusar ? "Yes" : "No",
                        a.Rationale))])
                { Title = "Sponsor's assessments", Compact = true };
            }

            yield return DocumentSections.Signature(signature, $"Investigator's signature of {standing.Event.Number}");
        }
    }

    private static string VersionSummary(AdverseEventVersion v, SafetyRules safety)
    {
        var parts = new List<string> { v.CodedTerm is { } coded ? $"{v.ReportedTerm} (coded: {coded}{(v.Code is { } code ? " " + code : "")})" : v.ReportedTerm };
        parts.Add($"onset {DocumentSections.Date(v.Onset)}{(v.End is { } end ? ", ended " + DocumentSections.Date(end) : "")}");
        parts.Add($"grade {v.Grade.ToString(CultureInfo.InvariantCulture)}");
        if (v.Serious)
        {
            var criteria = v.CriteriaCodes.Select(c => safety.SeriousnessCriteria.FirstOrDefault(s => s.Code == c)?.Label ?? c);
            parts.Add($"serious: {string.Join(", ", criteria)}");
        }

        if (v.SpecialInterestCode is { } aesi)
        {
            parts.Add($"special interest: {safety.SpecialInterestEvents.FirstOrDefault(e => e.Code == aesi)?.Term ?? aesi}");
        }

        var text = string.Join("; ", parts) + ".";
        if (!string.IsNullOrWhiteSpace(v.Narrative))
        {
            text += " " + v.Narrative;
        }

        return v.FollowUpNote is { } note ? $"{text} New: {note}" : text;
    }

    private static IEnumerable<Block> Deviations(CasebookData data)
    {
        yield return new Heading("Protocol deviations");
        if (data.Deviations.Count == 0)
        {
            yield return new Paragraph("None.");
            yield break;
        }

        yield return new Table(
            [new TableColumn("Raised (UTC)", 1.3), new TableColumn("Visit", 0.6), new TableColumn("Kind", 1.3), new TableColumn("Description", 4), new TableColumn("Raised by", 1.4)],
            [.. data.Deviations.Select(d => new TableRow(DocumentSections.Utc(d.RaisedAt), d.VisitCode, d.Kind.ToString(), d.Description, d.RaisedByName))])
        { Compact = true };
    }

    private static IEnumerable<Block> Signatures(CasebookData data)
    {
        yield return new Heading("Signatures");
        if (data.Signatures.Count == 0)
        {
            yield return new Paragraph("Nothing in this record has been signed.");
            yield break;
        }

        // Kept with its heading and explanation when it fits, so the table does not start a page on its own.
        yield return new KeepTogether(
            new Paragraph("Every electronic signature of this participant's records: the printed name, the time (UTC) and the meaning. " +
                "A signature is broken when what it covers changed after signing; superseded when a later signature covers the same record.")
            { Small = true },
            new Table(
            [new TableColumn("Signed (UTC)", 1.3), new TableColumn("Printed name", 1.5), new TableColumn("Meaning", 1.7), new TableColumn("Of", 2.2), new TableColumn("State", 1.5)],
            [.. data.Signatures.Select(s => new TableRow(
                DocumentSections.Utc(s.Signature.SignedAt),
                s.Signature.SignedByName,
                s.Signature.Meaning,
                s.Subject,
                (s.Broken switch { true => "Broken: changed after signing", false => "Valid", null => "Not checked" }) + (s.Superseded ? " (superseded)" : "")))])
            { Compact = true });

        // The sign-off's manifestation where a reader expects it: the last signature of the casebook itself.
        var signOff = data.Signatures.LastOrDefault(s => s.Signature.Subject == SignatureSubject.Casebook);
        yield return DocumentSections.Signature(
            signOff is null ? null : new SignatureRecord(signOff.Signature, signOff.Broken == true),
            "Investigator's sign-off of the whole casebook");
    }

    private static IEnumerable<Block> AuditAppendix(CasebookAudit audit, string number)
    {
        yield return new PageBreak();
        yield return new Heading("Appendix: audit trail");
        var cut = audit.Total > audit.Entries.Count
            ? $" Only the oldest {audit.Entries.Count.ToString(CultureInfo.InvariantCulture)} of {audit.Total.ToString(CultureInfo.InvariantCulture)} entries fit in this document; export the rest from the participant's audit page as CSV."
            : "";
        yield return new Paragraph(
            $"The {audit.Total.ToString(CultureInfo.InvariantCulture)} audit entries of participant {number} that {audit.ReaderName} may see, oldest first. " +
            "Each entry's hash chains to the one before; sealed values appear as [sealed]." + cut)
        { Small = true };
        if (audit.Entries.Count > 0)
        {
            yield return DocumentSections.AuditTable(audit.Entries);
        }
    }
}
