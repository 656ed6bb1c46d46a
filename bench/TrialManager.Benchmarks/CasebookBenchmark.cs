using System.Diagnostics;
using System.Globalization;
using System.Text;
using PdfSharp.Drawing;
using PdfSharp.Pdf;
using TrialManager.Documents;
using TrialManager.Domain.Participants;
using TrialManager.Domain.Protocols;
using TrialManager.Domain.Safety;
using TrialManager.Domain.Supply;
using TrialManager.Web.Data;
using TrialManager.Web.Data.Audit;
using TrialManager.Web.Features.Documents;
using TrialManager.Web.Features.Participants;
using TrialManager.Web.Features.Safety;
using Site = TrialManager.Web.Data.Site;

namespace TrialManager.Benchmarks;

/// <summary>
/// Casebook pages per second: synthetic participants (every visit's forms, diary, kits, a few adverse events, about 200
/// audit entries each) built with the real <see cref="Casebook.Build"/> and rendered by <see cref="PdfRenderer"/>, next
/// to plain PDFsharp drawing pages of text lines with the same fonts in the same run, as a ratio. No database: the
/// loader is left out on purpose, so this measures the document layer and the casebook's blocks alone.
/// </summary>
internal static class CasebookBenchmark
{
    private const int RawLinesPerPage = 64;

    /// <summary>The raw PDFsharp rate of the last run, for other figures of the same run to be compared with.</summary>
    public static double RawPagesPerSecond { get; private set; } = double.NaN;

    public static Task<string> RunAsync(bool quick)
    {
        var participants = quick ? 20 : 100;
        var repeats = quick ? 3 : 5;
        PdfEnvironment.EnsureInitialized();
        var protocol = LoadProtocol();
        var data = Enumerable.Range(1, participants).Select(i => Synthetic(protocol, i)).ToList();

        // Warm-up: one whole untimed pass of each, so tiered JIT, glyph-width caches and the font code are settled
        // (a few documents were not enough: the first timed pass ran at a third of the speed of the later ones).
        var warm = RenderCasebooks(data);
        RenderRaw(participants, Math.Max(1, warm.Pages / participants));

        var casebookRuns = new List<Run>();
        var rawRuns = new List<Run>();
        for (var i = 0; i < repeats; i++)
        {
            var casebooks = RenderCasebooks(data);
            casebookRuns.Add(casebooks);
            // The same number of pages, in documents of the average casebook's length.
            var perDocument = Math.Max(1, (int)Math.Round((double)casebooks.Pages / participants));
            rawRuns.Add(RenderRaw(participants, perDocument));
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"run {i + 1}/{repeats}: casebooks {casebooks.PagesPerSecond:0.0} pages/s ({casebooks.Pages} pages, {casebooks.Elapsed.TotalSeconds:0.00} s); raw {rawRuns[^1].PagesPerSecond:0.0} pages/s"));
        }

        var casebookRate = Median(casebookRuns.Select(r => r.PagesPerSecond));
        var rawRate = Median(rawRuns.Select(r => r.PagesPerSecond));
        RawPagesPerSecond = rawRate;
        var pages = casebookRuns[0].Pages;
        var bytes = casebookRuns[0].Bytes;
        var audit = data.Average(d => d.Audit.Entries.Count);
        var events = data.Average(d => d.AdverseEvents.Count);
        return Task.FromResult(new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"CPU: {CpuModel()}; single thread.")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture,
                $"Casebooks: {participants} synthetic participants of the shipped psilocybin protocol ({data[0].Visits.Count} visits with forms, diary, kits, {events:0.0} adverse events and {audit:0} audit entries on average), " +
                $"Casebook.Build + PdfRenderer.Render, {pages} pages in all ({(double)pages / participants:0.0} per casebook, {bytes / participants / 1024.0:0} KiB each). " +
                $"Raw: plain PDFsharp, XGraphics.DrawString of {RawLinesPerPage} lines of 9 pt DejaVu Sans per page, the same number of pages in documents of the same length, saved. " +
                $"Median of {repeats} runs after a warm-up.")
            .AppendLine()
            .AppendLine("| what | pages per run | pages/s (median) | runs (pages/s) |")
            .AppendLine("|---|---:|---:|---|")
            .AppendLine(CultureInfo.InvariantCulture, $"| casebook (build + render) | {pages} | {casebookRate:0.0} | {Runs(casebookRuns)} |")
            .AppendLine(CultureInfo.InvariantCulture, $"| raw PDFsharp text pages | {rawRuns[0].Pages} | {rawRate:0.0} | {Runs(rawRuns)} |")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Ratio casebook/raw: **{casebookRate / rawRate:0.00}**")
            .ToString());
    }

    private sealed record Run(int Pages, long Bytes, TimeSpan Elapsed)
    {
        public double PagesPerSecond => Pages / Elapsed.TotalSeconds;
    }

    private static Run RenderCasebooks(IReadOnlyList<CasebookData> data)
    {
        Settle();
        var pages = 0;
        long bytes = 0;
        var watch = Stopwatch.StartNew();
        foreach (var casebook in data)
        {
            var pdf = PdfRenderer.Render(Casebook.Build(casebook), new RenderOptions("CASEBOOK-BENCH", casebook.Participant.CreatedAt, "bench"));
            pages += pdf.PageCount;
            bytes += pdf.Bytes.Length;
        }

        return new Run(pages, bytes, watch.Elapsed);
    }

    /// <summary>The floor: what PDFsharp itself costs per page of text, with no layout, wrapping or tables.</summary>
    private static Run RenderRaw(int documents, int pagesPerDocument)
    {
        Settle();
        var line = "2026-11-21 09:14:03  Casey Coordinator (SiteCoordinator)  Update  FormValue  systolic 128 -> 131 mmHg";
        long bytes = 0;
        var watch = Stopwatch.StartNew();
        for (var d = 0; d < documents; d++)
        {
            using var pdf = new PdfDocument();
            var font = new XFont("DejaVu Sans", 9);
            var brush = XBrushes.Black;
            for (var p = 0; p < pagesPerDocument; p++)
            {
                var page = pdf.AddPage();
                page.Width = XUnit.FromPoint(595.28);
                page.Height = XUnit.FromPoint(841.89);
                using var graphics = XGraphics.FromPdfPage(page);
                for (var l = 0; l < RawLinesPerPage; l++)
                {
                    graphics.DrawString(line, font, brush, 40, 50 + (l * 11.5), XStringFormats.BaseLineLeft);
                }
            }

            using var stream = new MemoryStream();
            pdf.Save(stream, false);
            bytes += stream.Length;
        }

        return new Run(documents * pagesPerDocument, bytes, watch.Elapsed);
    }

    /// <summary>Each timed pass starts from a collected heap, so one pass does not pay for the garbage of the one before.</summary>
    private static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static string Runs(IEnumerable<Run> runs) => string.Join(", ", runs.Select(r => r.PagesPerSecond.ToString("0.0", CultureInfo.InvariantCulture)));

    private static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line is null ? "unknown" : line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static Protocol LoadProtocol()
    {
        var load = ProtocolLoader.Load(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "protocols", "psilocybin-mdd.yaml")), "psilocybin-mdd.yaml");
        return load.Succeeded ? load.Protocol! : throw new InvalidOperationException(string.Join("; ", load.Errors));
    }

    /// <summary>
    /// One participant through the whole protocol, made up but shaped like real data: every visit done and its forms
    /// complete, most visits signed, a diary, kits, a few adverse events with follow-ups and assessments, and an audit
    /// trail of about 200 entries. Seeded per participant, so every run builds the same casebooks.
    /// </summary>
    private static CasebookData Synthetic(Protocol protocol, int index)
    {
        var random = new Random(index);
        var zone = TimeZoneInfo.Utc;
        var start = new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero).AddDays(index % 60);
        var site = new Site { Code = "S" + (1 + (index % 20)).ToString("00", CultureInfo.InvariantCulture), Name = "Benchmark site", Country = "GB", TimeZone = "UTC" };
        var trial = new Trial { Code = protocol.Code, Title = protocol.Title, CreatedAt = start.AddMonths(-2) };
        var randomizedAt = start.AddDays(10);
        var randomizedOn = DateOnly.FromDateTime(randomizedAt.UtcDateTime);
        var participant = new Participant
        {
            TrialId = trial.Id,
            SiteId = site.Id,
            Number = string.Create(CultureInfo.InvariantCulture, $"{site.Code}-{index:0000}"),
            YearOfBirth = 1960 + random.Next(40),
            Sex = random.Next(2) == 0 ? "female" : "male",
            Status = ParticipantStatus.Randomized,
            ConsentedOn = DateOnly.FromDateTime(start.UtcDateTime),
            ConsentFormVersion = "2.0 of 2026-01-15",
            ConsentObtainedByName = "Casey Coordinator",
            EligibilityConfirmedAt = start.AddDays(3),
            StratumLevels = "baseline_severity=moderate",
            RandomizationNumber = string.Create(CultureInfo.InvariantCulture, $"R{index:0000}"),
            RandomizedAt = randomizedAt,
            RandomizedByName = "Casey Coordinator",
            CreatedAt = start,
        };

        var criteria = protocol.Eligibility.Criteria.Select(c => new CasebookCriterion(c.Code, c.Kind, c.Text, c.Question switch
        {
            YesNoQuestion y => YesNo.Format(y.EligibleAnswer),
            NumberQuestion n => ((int)((n.Minimum ?? 0) + (n.Maximum ?? 100)) / 2).ToString(CultureInfo.InvariantCulture),
            ChoiceQuestion q => q.EligibleAnswers[0],
            _ => "",
        }, null)).ToList();
        var eligibility = new CasebookEligibility(new EligibilityAssessment { Eligible = true, AssessedAt = start.AddDays(3), AssessedByName = "Ines Investigator" }, criteria);

        var kits = new List<CasebookKit>
        {
            new(KitCode(random), "D0", DispensingKind.Randomization, randomizedAt, "Casey Coordinator", KitState.Returned, randomizedOn.AddDays(21), random.Next(4)),
            new(KitCode(random), "W3", DispensingKind.Visit, randomizedAt.AddDays(21), "Casey Coordinator", KitState.Returned, randomizedOn.AddDays(42), random.Next(4)),
        };
        var diary = new List<DiaryEntry>();
        for (var day = protocol.Dosing.StartDay; day <= protocol.Dosing.LastDay; day++)
        {
            if (protocol.Dosing.IsDosingDay(day))
            {
                diary.Add(new DiaryEntry { StudyDay = day, TookDose = random.NextDouble() < 0.9, RecordedAt = randomizedAt.AddDays(day + 1), RecordedByName = "Casey Coordinator" });
            }
        }

        var studyDay = 50;
        var dosing = new CasebookDosing(
            protocol.Dosing,
            studyDay,
            Adherence.FromDiary(protocol.Dosing, studyDay, diary.ToDictionary(d => d.StudyDay, d => d.TookDose)),
            [new CasebookPillCount(kits[0].KitCode, Adherence.FromPillCount(protocol.Dosing, 1, 21, protocol.Kits.DosesPerKit, 3))],
            diary);

        var visits = new List<CasebookVisit>();
        var signatures = new List<CasebookSignature>();
        foreach (var visit in protocol.Visits.Where(v => v.Forms.Count > 0))
        {
            var at = visit.Kind == VisitKind.Screening ? start.AddDays(2) : randomizedAt.AddDays(visit.Day);
            var forms = protocol.FormsDueAt(visit).Select(form => FormRecordFor(form, participant, at, random)).ToList();
            Signature? signature = null;
            SignatureRecord? record = null;
            if (random.NextDouble() < 0.85)
            {
                signature = new Signature { VisitCode = visit.Code, Meaning = "Reviewed and approved", SignedByName = "Ines Investigator", SignedAt = at.AddDays(2), ContentHash = "synthetic" };
                record = new SignatureRecord(signature, random.NextDouble() < 0.1);
                signatures.Add(new CasebookSignature($"Visit {visit.Code} forms", signature, record.Broken, false));
            }

            var scheduled = visit.Kind == VisitKind.Screening ? null : new ScheduledVisit(visit, randomizedOn.AddDays(visit.Day), randomizedOn.AddDays(visit.EarliestDay), randomizedOn.AddDays(visit.LatestDay));
            var done = DateOnly.FromDateTime(at.UtcDateTime);
            visits.Add(new CasebookVisit(
                new VisitRecordData(visit, forms, record),
                scheduled,
                scheduled is null ? null : VisitStatus.Done,
                new VisitRecord { VisitCode = visit.Code, DoneOn = done, RecordedAt = at, RecordedByName = "Casey Coordinator" }));
        }

        var events = new List<CasebookEvent>();
        var eventCount = random.Next(1, 5);
        for (var e = 1; e <= eventCount; e++)
        {
            events.Add(Event(protocol, participant, zone, randomizedAt.AddDays(3 + (e * 9)), e, random, signatures));
        }

        var deviations = Enumerable.Range(1, random.Next(3)).Select(d => new ProtocolDeviation
        {
            VisitCode = "W" + d.ToString(CultureInfo.InvariantCulture),
            Kind = d == 1 ? DeviationKind.VisitOutOfWindow : DeviationKind.Reported,
            Description = d == 1 ? "Visit done one day after its window closed." : "Capsule taken with grapefruit juice against the instructions.",
            RaisedAt = randomizedAt.AddDays(d * 7),
            RaisedByName = "Ines Investigator",
        }).ToList();

        var audit = AuditTrail(participant, random, 180 + random.Next(40));
        return new CasebookData(participant, site, trial, protocol.Version, protocol.Safety, eligibility, kits, dosing, visits, events, deviations, signatures,
            new CasebookAudit(audit, audit.Count, "Drew Data"));
    }

    private static FormRecord FormRecordFor(FormDefinition form, Participant participant, DateTimeOffset at, Random random)
    {
        var raw = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var field in form.Fields)
        {
            raw[field.Code] = field.Type switch
            {
                FieldType.SingleChoice => field.Choices[random.Next(field.Choices.Count)].Code,
                FieldType.MultipleChoice => field.Choices[0].Code,
                FieldType.YesNo => "no",
                FieldType.Integer or FieldType.Decimal => ((int)((field.Minimum ?? 0) + ((field.Maximum ?? 100) - (field.Minimum ?? 0)) * (decimal)(0.3 + (random.NextDouble() * 0.4)))).ToString(CultureInfo.InvariantCulture),
                FieldType.Date => DateOnly.FromDateTime(at.UtcDateTime).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                _ => field.Required ? "KIT-" + random.Next(1000, 9999).ToString(CultureInfo.InvariantCulture) : "",
            };
        }

        var validation = form.Validate(raw);
        var entry = new FormEntry
        {
            ParticipantId = participant.Id,
            FormCode = form.Code,
            Status = FormStatus.Complete,
            UpdatedAt = at,
            UpdatedByName = "Casey Coordinator",
            CompletedAt = at,
        };
        entry.Values.AddRange(raw.Where(v => !string.IsNullOrEmpty(v.Value)).Select(v => new FormValue { FieldCode = v.Key, Value = v.Value! }));
        var scores = validation.Scores.ToDictionary(s => s.Key, s => new StoredScore(s.Value.Total, s.Value.Band.Code, s.Value.Band.Label), StringComparer.Ordinal);
        var queries = random.NextDouble() < 0.15
            ? new List<DataQuery> { new() { FieldCode = form.Fields[0].Code, Question = "Please confirm against the source notes.", RaisedAt = at.AddDays(3), RaisedByName = "Drew Data", Answer = "Confirmed as entered.", Status = QueryStatus.Closed } }
            : [];
        return new FormRecord(form, entry, scores, queries);
    }

    private static CasebookEvent Event(Protocol protocol, Participant participant, TimeZoneInfo zone, DateTimeOffset aware, int sequence, Random random, List<CasebookSignature> signatures)
    {
        var serious = random.NextDouble() < 0.25;
        var terms = new[] { "Headache", "Nausea", "Insomnia", "Dizziness", "Perceptual disturbance", "Fatigue" };
        var adverseEvent = new AdverseEvent { ParticipantId = participant.Id, Number = string.Create(CultureInfo.InvariantCulture, $"{participant.Number}-AE{sequence:00}"), CreatedAt = aware };
        var versions = new List<AdverseEventVersion>();
        var count = random.Next(1, 3);
        for (var v = 1; v <= count; v++)
        {
            versions.Add(new AdverseEventVersion
            {
                AdverseEventId = adverseEvent.Id,
                Version = v,
                ReportedTerm = terms[random.Next(terms.Length)],
                Onset = DateOnly.FromDateTime(aware.UtcDateTime).AddDays(-1),
                End = v == count && random.Next(2) == 0 ? DateOnly.FromDateTime(aware.UtcDateTime).AddDays(4) : null,
                Grade = serious ? 3 : 1 + random.Next(2),
                Serious = serious,
                SeriousnessCriteria = serious ? "hospitalization" : "",
                Causality = (Causality)random.Next(4),
                ActionTaken = serious ? ActionTaken.DrugInterrupted : ActionTaken.DoseNotChanged,
                Outcome = v == count ? EventOutcome.Recovered : EventOutcome.Recovering,
                Narrative = serious ? "Admitted overnight for observation; discharged the next morning without sequelae." : null,
                SiteAwareAt = aware.AddDays((v - 1) * 5),
                ReceivedAt = aware.AddDays((v - 1) * 5).AddHours(2),
                ReportedByName = "Casey Coordinator",
                FollowUpNote = v > 1 ? "Resolved; no further treatment." : null,
            });
        }

        adverseEvent.CurrentVersion = count;
        var assessments = serious
            ? new List<SafetyAssessment> { new() { AdverseEventId = adverseEvent.Id, AssessedVersion = 1, SponsorCausality = Causality.PossiblyRelated, Expected = false, IsSusar = true, Rationale = "Temporal association; not in the reference safety information.", AssessedAt = aware.AddDays(1), AssessedByName = "Sam Safety" } }
            : [];
        var status = SafetyStatus.Evaluate([.. versions.Select(v => v.ToReceived())], assessments.LastOrDefault()?.ToDomain(), [], protocol.Safety, zone);
        var standing = new EventStanding(adverseEvent, participant.Number, "S01", zone, versions, assessments, [], status);
        SignatureRecord? signature = null;
        if (random.Next(2) == 0)
        {
            var signed = new Signature { AdverseEventId = adverseEvent.Id, AdverseEventVersion = count, Meaning = "Authored", SignedByName = "Ines Investigator", SignedAt = aware.AddDays(6), ContentHash = "synthetic" };
            signature = new SignatureRecord(signed, false);
            signatures.Add(new CasebookSignature($"Adverse event {adverseEvent.Number}, version {count}", signed, false, false));
        }

        return new CasebookEvent(standing, signature);
    }

    private static List<AuditEntry> AuditTrail(Participant participant, Random random, int count)
    {
        string[] actions = ["Create", "Update", "Create", "SaveForm", "RecordVisit", "Sign", "RecordDiary", "DownloadPdf"];
        string[] types = ["FormValue", "FormEntry", "FormValue", "VisitRecord", "DiaryEntry", "Signature", "Participant", "AdverseEventVersion"];
        var entries = new List<AuditEntry>(count);
        var at = participant.CreatedAt;
        for (var i = 0; i < count; i++)
        {
            at = at.AddMinutes(random.Next(5, 600));
            var type = types[random.Next(types.Length)];
            var changes = type == "FormValue"
                ? $"[{{\"Field\":\"FieldCode\",\"Old\":null,\"New\":\"d{random.Next(1, 10)}\"}},{{\"Field\":\"Value\",\"Old\":null,\"New\":\"{random.Next(4)}\"}},{{\"Field\":\"ParticipantId\",\"Old\":null,\"New\":\"{participant.Id}\"}}]"
                : $"[{{\"Field\":\"Status\",\"Old\":\"Draft\",\"New\":\"Complete\"}},{{\"Field\":\"UpdatedAt\",\"Old\":null,\"New\":\"{at.UtcDateTime:O}\"}},{{\"Field\":\"UpdatedByName\",\"Old\":null,\"New\":\"Casey Coordinator\"}}]";
            entries.Add(new AuditEntry
            {
                ChainSeq = 1000 + (i * 7),
                OccurredAt = at,
                UserName = i % 5 == 0 ? "Ines Investigator" : "Casey Coordinator",
                Roles = i % 5 == 0 ? "Investigator" : "SiteCoordinator",
                Action = actions[random.Next(actions.Length)],
                EntityType = type,
                EntityId = string.Create(CultureInfo.InvariantCulture, $"{participant.Number}/{i}"),
                Changes = changes,
                Reason = random.NextDouble() < 0.05 ? "Source document re-read" : "",
            });
        }

        return entries;
    }

    private static string KitCode(Random random)
    {
        const string alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
        return string.Create(7, random, (span, r) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = i == 3 ? '-' : alphabet[r.Next(alphabet.Length)];
            }
        });
    }
}
