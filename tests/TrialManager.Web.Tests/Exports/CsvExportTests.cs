using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using CsvHelper;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrialManager.Domain.Participants;
using TrialManager.Domain.Protocols;
using TrialManager.Domain.Safety;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Exports;
using TrialManager.Web.Features.Participants;
using TrialManager.Web.Features.Unblinding;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Exports;

/// <summary>
/// The CSV package read back: every file is parsed again (CsvHelper's reader, then the README's rule for the formula
/// escape) and must give the database's own values, read here straight from the tables, not from the export's snapshot.
/// </summary>
public class CsvExportTests(ExportTrialFixture fixture) : IClassFixture<ExportTrialFixture>
{
    private static readonly string[] WideFixedColumns = ["participant", "site", "visit", "protocol_version", "status", "completed_at_utc"];

    private TrialApp App => fixture.App;

    private Guid TrialId => fixture.Trial.TrialId;

    [Fact]
    public async Task Participants_read_back_as_the_database_holds_them()
    {
        var package = await BlindedAsync();
        var zones = await ZonesAsync();
        var expected = await App.WithDbAsync(async db =>
        {
            var sequences = await db.ProtocolVersions.Where(v => v.TrialId == TrialId).ToDictionaryAsync(v => v.Id, v => v.Sequence);
            var people = await db.Participants.AsNoTracking().Where(p => p.TrialId == TrialId).ToListAsync();
            return people.Select(p => new ParticipantRow(
                p.Number, zones[p.SiteId].Code, sequences[p.ProtocolVersionId], p.Status, p.YearOfBirth, p.Sex, p.ConsentedOn, p.StratumLevels, Null(p.RandomizationNumber),
                p.RandomizedAt, p.RandomizedAt is { } at ? SiteCalendar.LocalDate(at, zones[p.SiteId].Zone) : null, p.DrugDiscontinuedOn, p.WithdrawnOn, Null(p.WithdrawalReason))).ToList();
        });
        var actual = package.Csv(CsvExport.ParticipantsFile).Rows.Select(r => new ParticipantRow(
            r["participant"], r["site"], Int(r["protocol_version"]), Enum.Parse<ParticipantStatus>(r["status"]), Int(r["year_of_birth"]), r["sex"], Date(r["consented_on"]),
            r["stratum"], Null(r["randomization_number"]), Instant(r["randomized_at_utc"]), Date(r["randomized_on"]), Date(r["drug_discontinued_on"]), Date(r["withdrawn_on"]),
            Null(r["withdrawal_reason"]))).ToList();

        Assert.Equal(fixture.Participants.Count, expected.Count);
        AssertSameSet(expected, actual, p => p.Number);
        Assert.Contains(actual, p => p.WithdrawnOn is not null && p.WithdrawalReason!.Contains('"', StringComparison.Ordinal));
        Assert.Contains(actual, p => p.DrugDiscontinuedOn is not null);
        Assert.Contains(actual, p => p.RandomizedAt is null);
    }

    [Fact]
    public async Task Visits_read_back_as_recorded_with_study_days_and_windows()
    {
        var package = await BlindedAsync();
        var zones = await ZonesAsync();
        var protocol = fixture.Trial.Protocol;
        var expected = await App.WithDbAsync(async db =>
        {
            var people = await db.Participants.AsNoTracking().Where(p => p.TrialId == TrialId).ToDictionaryAsync(p => p.Id);
            var ids = people.Keys.ToList();
            var records = await db.VisitRecords.AsNoTracking().Where(v => ids.Contains(v.ParticipantId)).ToListAsync();
            return records.Select(v =>
            {
                var p = people[v.ParticipantId];
                var visit = protocol.FindVisit(v.VisitCode)!;
                int? day = v.DoneOn is { } done ? VisitSchedule.StudyDay(SiteCalendar.LocalDate(p.RandomizedAt!.Value, zones[p.SiteId].Zone), done) : null;
                return new VisitRow(p.Number, zones[p.SiteId].Code, v.VisitCode, visit.Name, visit.Day, v.DoneOn, v.Missed, day, day is { } d ? visit.IsInWindow(d) : null);
            }).ToList();
        });
        var actual = package.Csv(CsvExport.VisitsFile).Rows.Select(r => new VisitRow(
            r["participant"], r["site"], r["visit"], r["visit_name"], Int(r["scheduled_day"]), Date(r["done_on"]), Bool(r["missed"])!.Value, NullableInt(r["study_day"]),
            Bool(r["in_window"]))).ToList();

        AssertSameSet(expected, actual, v => $"{v.Participant} {v.Visit}");
        Assert.Contains(actual, v => v.Missed && v.DoneOn is null && v.StudyDay is null && v.InWindow is null);
        Assert.Contains(actual, v => v.InWindow == false);
        Assert.Contains(actual, v => v.InWindow == true && v.StudyDay > 0);
    }

    [Fact]
    public async Task Long_form_files_hold_every_stored_value_and_score_exactly()
    {
        var package = await BlindedAsync();
        var expected = await StoredFormsAsync();
        var actual = new List<LongRow>();
        foreach (var form in fixture.Trial.Protocol.Forms)
        {
            actual.AddRange(package.Csv(CsvExport.FormLongFile(form.Code)).Rows.Select(r => new LongRow(
                r["participant"], r["site"], r["visit"], r["form"], Int(r["protocol_version"]), Enum.Parse<FormStatus>(r["status"]), r["kind"], r["field"], r["value"],
                Instant(r["updated_at_utc"])!.Value, r["updated_by"], Instant(r["completed_at_utc"]))));
            Assert.All(actual, r => Assert.Contains(r.Kind, new[] { "item", "score" }));
        }

        var rows = expected.SelectMany(e => e.Values.Select(v => e.Row("item", v.Key, v.Value)).Concat(e.Scores.Select(s => e.Row("score", s.Key, Invariant(s.Value))))).ToList();
        AssertSameSet(rows, actual, r => $"{r.Participant} {r.Visit} {r.Form} {r.Kind} {r.Field}");

        // The edge cases the fixture planted came through: a draft without its score, an empty optional field, text kept as typed.
        Assert.Contains(actual, r => r.Status == FormStatus.Draft && r.Form == "ANX7" && r.CompletedAt is null);
        Assert.DoesNotContain(actual, r => r.Status == FormStatus.Draft && r.Kind == "score");
        Assert.Contains(actual, r => r.Field == "temperature" && r.Value == "36.60");
        Assert.Contains(actual, r => r.Field == "murmur_notes" && r.Value == ExportTrialFixture.UnicodeText);
        Assert.Contains(actual, r => r.Field == "last_dose_date" && DateOnly.TryParseExact(r.Value, "yyyy-MM-dd", out _));
        Assert.Equal(2 * (ExportTrialFixture.PerSite - 1), actual.Count(r => r.Form == "VITALS" && r.Visit == "D0" && r.Field == "weight"));
    }

    [Fact]
    public async Task Wide_form_files_hold_one_row_per_entry_with_every_stored_value_and_score()
    {
        var package = await BlindedAsync();
        var stored = await StoredFormsAsync();
        var dictionary = package.Csv(CsvExport.DictionaryFile).Rows;
        foreach (var form in fixture.Trial.Protocol.Forms)
        {
            var wide = package.Csv(CsvExport.FormWideFile(form.Code));
            var columns = dictionary.Where(d => d["form"] == form.Code)
                .Select(d => (Kind: d["kind"], Code: d["field"], Column: d["wide_column"])).Distinct().ToList();
            Assert.Equal(WideFixedColumns.Concat(columns.Select(c => c.Column)), wide.Header);
            Assert.Equal(form.Fields.Select(f => f.Code), columns.Where(c => c.Kind == "item").Select(c => c.Code));

            var entries = stored.Where(e => e.Form == form.Code).ToList();
            Assert.Equal(entries.Count, wide.Rows.Count);
            foreach (var e in entries)
            {
                var row = Assert.Single(wide.Rows, r => r["participant"] == e.Participant && r["visit"] == e.Visit);
                Assert.Equal(e.Site, row["site"]);
                Assert.Equal(e.ProtocolVersion, Int(row["protocol_version"]));
                Assert.Equal(e.Status, Enum.Parse<FormStatus>(row["status"]));
                Assert.Equal(e.CompletedAt, Instant(row["completed_at_utc"]));
                Assert.All(e.Values.Keys, k => Assert.Contains(columns, c => c.Kind == "item" && c.Code == k));
                Assert.All(e.Scores.Keys, k => Assert.Contains(columns, c => c.Kind == "score" && c.Code == k));
                foreach (var (kind, code, column) in columns)
                {
                    var expected = kind == "item" ? e.Values.GetValueOrDefault(code, "") : e.Scores.TryGetValue(code, out var total) ? Invariant(total) : "";
                    Assert.True(expected == row[column], $"{e.Participant} {e.Visit} {form.Code} {column}: expected [{expected}], read [{row[column]}]");
                }
            }
        }
    }

    [Fact]
    public async Task Diary_and_kits_read_back_as_recorded()
    {
        var package = await BlindedAsync();
        var zones = await ZonesAsync();
        var diary = await App.WithDbAsync(db => db.DiaryEntries.AsNoTracking().Where(d => db.Participants.Any(p => p.Id == d.ParticipantId && p.TrialId == TrialId))
            .Join(db.Participants, d => d.ParticipantId, p => p.Id, (d, p) => new { p.Number, p.SiteId, d.StudyDay, d.TookDose }).ToListAsync());
        var expectedDiary = diary.Select(d => new DiaryRow(d.Number, zones[d.SiteId].Code, d.StudyDay, d.TookDose)).ToList();
        var actualDiary = package.Csv(CsvExport.DiaryFile).Rows.Select(r => new DiaryRow(r["participant"], r["site"], Int(r["study_day"]), Bool(r["took_dose"])!.Value)).ToList();
        Assert.NotEmpty(expectedDiary);
        AssertSameSet(expectedDiary, actualDiary, d => $"{d.Participant} {d.StudyDay}");

        var kits = await App.WithDbAsync(db => db.Dispensings.AsNoTracking().Where(d => d.TrialId == TrialId)
            .Join(db.Kits, d => d.KitId, k => k.Id, (d, k) => new { d.ParticipantId, d.SiteId, d.KitCode, d.VisitCode, d.Kind, d.At, k.ReturnedOn, k.UnusedUnitsReturned })
            .Join(db.Participants, x => x.ParticipantId, p => p.Id, (x, p) => new { x, p.Number }).ToListAsync());
        var unitsPerKit = fixture.Trial.Protocol.Kits.UnitsPerKit;
        var expectedKits = kits.Select(k => new KitRow(
            k.Number, zones[k.x.SiteId].Code, k.x.KitCode, k.x.VisitCode, k.x.Kind, SiteCalendar.LocalDate(k.x.At, zones[k.x.SiteId].Zone), unitsPerKit, k.x.ReturnedOn,
            k.x.UnusedUnitsReturned)).ToList();
        var kitFile = package.Csv(CsvExport.KitsFile).Rows;
        var actualKits = kitFile.Select(r => new KitRow(
            r["participant"], r["site"], r["kit"], r["visit"], Enum.Parse<DispensingKind>(r["kind"]), Date(r["dispensed_on"])!.Value, Int(r["units_per_kit"]), Date(r["returned_on"]),
            NullableInt(r["unused_units_returned"]))).ToList();
        AssertSameSet(expectedKits, actualKits, k => k.Kit);
        Assert.Equal(2 * ExportTrialFixture.PerSite + 4, actualKits.Count);
        Assert.Equal(4, actualKits.Count(k => k.ReturnedOn is not null));

        // Adherence is derived, not stored: it reads back as the export computed it, and only for returned kits.
        var snapshot = await fixture.ReadSnapshotAsync(new ExportScope());
        foreach (var kit in snapshot.Kits)
        {
            var row = Assert.Single(kitFile, r => r["kit"] == kit.KitCode);
            Assert.Equal(kit.DosesScheduled, NullableInt(row["doses_scheduled"]));
            Assert.Equal(kit.DosesTaken, NullableInt(row["doses_taken"]));
            Assert.Equal(kit.AdherencePercent, row["adherence_percent"].Length == 0 ? null : decimal.Parse(row["adherence_percent"], CultureInfo.InvariantCulture));
            Assert.Equal(kit.ReturnedOn is not null, kit.AdherencePercent is not null);
        }
    }

    [Fact]
    public async Task Adverse_events_read_back_as_their_current_report_versions()
    {
        var package = await BlindedAsync();
        var zones = await ZonesAsync();
        var current = await App.WithDbAsync(db => db.AdverseEvents.AsNoTracking().Where(a => a.TrialId == TrialId)
            .Join(db.AdverseEventVersions, a => new { Id = a.Id, V = a.CurrentVersion }, v => new { Id = v.AdverseEventId, V = v.Version }, (a, v) => new { a.Number, Version = v })
            .Join(db.Participants, x => x.Version.ParticipantId, p => p.Id, (x, p) => new { x.Number, x.Version, Participant = p.Number, p.SiteId }).ToListAsync());
        var expected = current.Select(x =>
        {
            var v = x.Version;
            return new EventRow(
                x.Participant, zones[x.SiteId].Code, x.Number, v.Version, v.ReportedTerm, Null(v.CodedTerm), Null(v.Code), v.Onset, v.End, v.Grade, v.Serious,
                string.Join(',', v.CriteriaCodes.Order(StringComparer.Ordinal)), v.Causality, v.ActionTaken, v.Outcome, Null(v.SpecialInterestCode), v.SiteAwareAt, v.ReceivedAt);
        }).ToList();
        var actual = package.Csv(CsvExport.AdverseEventsFile).Rows.Select(r => new EventRow(
            r["participant"], r["site"], r["event"], Int(r["version"]), r["reported_term"], Null(r["coded_term"]), Null(r["code"]), Date(r["onset"])!.Value, Date(r["end"]),
            Int(r["grade"]), Bool(r["serious"])!.Value, string.Join(',', r["seriousness_criteria"].Split(',', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal)),
            Enum.Parse<Causality>(r["causality"]), Enum.Parse<ActionTaken>(r["action_taken"]), Enum.Parse<EventOutcome>(r["outcome"]), Null(r["special_interest"]),
            Instant(r["site_aware_at_utc"])!.Value, Instant(r["received_at_utc"])!.Value)).ToList();

        Assert.Equal(3, expected.Count);
        AssertSameSet(expected, actual, e => e.Number);
        var followedUp = Assert.Single(actual, e => e.Version == 2);
        Assert.True(followedUp.Serious);
        Assert.Equal(EventOutcome.Recovered, followedUp.Outcome);
        Assert.NotNull(followedUp.End);
        Assert.NotEmpty(followedUp.SeriousnessCriteria);
    }

    [Fact]
    public async Task Manifest_lists_every_other_file_with_its_rows_and_hash()
    {
        var package = await BlindedAsync();
        Assert.Equal(CsvExport.ReadmeFile, package.Names[0]);
        Assert.Equal(CsvExport.ManifestFile, package.Names[1]);
        var manifest = package.Csv(CsvExport.ManifestFile);
        Assert.Equal(new[] { "file", "rows", "sha256" }, manifest.Header);
        Assert.Equal(package.Names.Where(n => n != CsvExport.ManifestFile), manifest.Rows.Select(r => r["file"]));
        foreach (var row in manifest.Rows)
        {
            var bytes = package.Files[row["file"]];
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), row["sha256"]);
            Assert.Matches("^[0-9a-f]{64}$", row["sha256"]);
            if (row["file"].EndsWith(".csv", StringComparison.Ordinal))
            {
                Assert.Equal(package.Csv(row["file"]).Rows.Count, Int(row["rows"]));
            }
            else
            {
                Assert.Equal("", row["rows"]);
            }
        }

        // No file starts with a byte order mark, and every CSV file's first line is its header (no comments).
        Assert.All(package.Files.Values, b => Assert.False(b.AsSpan().StartsWith(Encoding.UTF8.Preamble)));
        Assert.All(package.Names.Where(n => n.EndsWith(".csv", StringComparison.Ordinal)), n => Assert.Equal(string.Join(',', package.Csv(n).Header), package.Text(n).Split("\r\n")[0]));
    }

    [Fact]
    public async Task Every_column_of_every_file_is_described_and_every_field_is_in_the_dictionary()
    {
        var package = await BlindedAsync();
        var described = package.Csv(CsvExport.ColumnsFile).Rows.Select(r => (File: r["file"], Column: r["column"], Description: r["description"])).ToList();
        var csvFiles = package.Names.Where(n => n.EndsWith(".csv", StringComparison.Ordinal)).ToList();
        foreach (var file in csvFiles)
        {
            var header = package.Csv(file).Header;
            Assert.Equal(header, described.Where(d => d.File == file).Select(d => d.Column));
            Assert.Equal(header.Count, header.Distinct(StringComparer.Ordinal).Count());
        }

        Assert.All(described, d => Assert.Contains(d.File, csvFiles));
        Assert.All(described, d => Assert.False(string.IsNullOrWhiteSpace(d.Description), $"{d.File} {d.Column}"));
        foreach (var form in fixture.Trial.Protocol.Forms)
        {
            Assert.Contains(CsvExport.FormLongFile(form.Code), csvFiles);
            Assert.Contains(CsvExport.FormWideFile(form.Code), csvFiles);
        }

        var dictionary = package.Csv(CsvExport.DictionaryFile).Rows;
        foreach (var form in fixture.Trial.Protocol.Forms)
        {
            foreach (var field in form.Fields)
            {
                var row = Assert.Single(dictionary, r => r["protocol_version"] == "1" && r["form"] == form.Code && r["kind"] == "item" && r["field"] == field.Code);
                Assert.Equal(field.Label, row["label"]);
                Assert.Equal(form.Title, row["form_title"]);
                Assert.Equal(field.Required, Bool(row["required"]));
                Assert.Equal(field.Unit ?? "", row["unit"]);
                Assert.Equal(field.Minimum, row["minimum"].Length == 0 ? null : decimal.Parse(row["minimum"], CultureInfo.InvariantCulture));
                Assert.Equal(field.Maximum, row["maximum"].Length == 0 ? null : decimal.Parse(row["maximum"], CultureInfo.InvariantCulture));
                Assert.Equal(field.DecimalPlaces, NullableInt(row["decimal_places"]));
                Assert.Equal(field.Type == FieldType.YesNo ? "yes=Yes | no=No" : string.Join(" | ", field.Choices.Select(c => $"{c.Code}={c.Label}")), row["choices"]);
            }

            foreach (var score in form.Scores)
            {
                var row = Assert.Single(dictionary, r => r["form"] == form.Code && r["kind"] == "score" && r["field"] == score.Code);
                Assert.Equal(string.Join(',', score.Items), row["items"]);
                Assert.All(score.Bands, b => Assert.Contains($"{b.Code}={b.Label} [", row["bands"], StringComparison.Ordinal));
            }
        }

        var types = dictionary.Select(r => r["type"]).ToHashSet(StringComparer.Ordinal);
        Assert.Superset(new HashSet<string>(["integer", "decimal", "text", "date", "single_choice", "yes_no"]), types);
    }

    [Fact]
    public async Task A_blinded_package_holds_no_arm_anywhere()
    {
        var snapshot = await fixture.ReadSnapshotAsync(new ExportScope());
        Assert.False(snapshot.Unblinded);
        var package = Package.Open(await CsvExport.WriteAsync(snapshot));
        foreach (var (name, bytes) in package.Files)
        {
            var text = Encoding.UTF8.GetString(bytes);
            foreach (var secret in RandomizationTrial.ArmSecrets)
            {
                Assert.False(text.Contains(secret, StringComparison.OrdinalIgnoreCase), $"{name} holds '{secret}'.");
                Assert.DoesNotContain(secret, name, StringComparison.OrdinalIgnoreCase);
            }

            Assert.DoesNotContain("arm_code", text, StringComparison.Ordinal);
            Assert.DoesNotContain("arm_label", text, StringComparison.Ordinal);
        }

        Assert.Contains("Blinding: blinded.", package.Text(CsvExport.ReadmeFile), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unblinded_package_gives_each_randomized_participant_their_arm()
    {
        var snapshot = await fixture.ReadSnapshotAsync(new ExportScope(Unblinded: true));
        var package = Package.Open(await CsvExport.WriteAsync(snapshot));
        var arms = await App.Services.GetRequiredService<Allocations>().ArmsByParticipantAsync(TrialId);
        var numbers = await App.WithDbAsync(db => db.Participants.Where(p => p.TrialId == TrialId).ToDictionaryAsync(p => p.Number, p => p.Id));
        var participants = package.Csv(CsvExport.ParticipantsFile);
        Assert.Equal("arm_code", participants.Header[^2]);
        Assert.Equal("arm_label", participants.Header[^1]);
        Assert.Equal(fixture.Randomized.Count, arms.Count);
        Assert.Equal(2, arms.Values.Distinct().Count());
        foreach (var row in participants.Rows)
        {
            var id = numbers[row["participant"]];
            if (arms.TryGetValue(id, out var arm))
            {
                Assert.Equal(arm, row["arm_code"]);
                Assert.Equal(fixture.Trial.Protocol.FindArm(arm)!.BlindedLabel, row["arm_label"]);
            }
            else
            {
                Assert.Contains(id, fixture.Waiting);
                Assert.Equal("", row["arm_code"]);
                Assert.Equal("", row["arm_label"]);
            }
        }

        Assert.Contains("UNBLINDED", package.Text(CsvExport.ReadmeFile), StringComparison.Ordinal);
        Assert.Contains(package.Csv(CsvExport.ColumnsFile).Rows, r => r["file"] == CsvExport.ParticipantsFile && r["column"] == "arm_code");
    }

    [Fact]
    public async Task Formula_text_is_escaped_and_the_readme_rule_gives_it_back_exactly()
    {
        var package = await BlindedAsync();

        // CsvHelper quotes the escaped cell and puts an apostrophe in front; quotes inside are doubled (RFC 4180).
        var vitals = package.Text(CsvExport.FormLongFile("VITALS"));
        Assert.Contains("\"'=HYPERLINK(\"\"http://example.org\"\",\"\"soft\"\"), grade 2/6\nheard at the apex\"", vitals, StringComparison.Ordinal);
        var adherence = package.Text(CsvExport.FormLongFile("ADHERENCE"));
        Assert.Contains("\"'-forgot on holiday, \"\"twice\"\"\"", adherence, StringComparison.Ordinal);
        Assert.Contains("''=kept as typed", adherence, StringComparison.Ordinal);

        // Read without the rule, the apostrophes show; with it, every value is the stored one.
        var raw = CsvFile.Parse(package.Files[CsvExport.FormLongFile("VITALS")], unescape: false).Rows;
        Assert.Contains(raw, r => r["value"] == "'" + ExportTrialFixture.FormulaText);
        var stored = await App.WithDbAsync(db => db.FormValues.Where(v => v.ParticipantId == fixture.London[0] && v.FieldCode == "murmur_notes").Select(v => v.Value).SingleAsync());
        Assert.Equal(ExportTrialFixture.FormulaText, stored);
        Assert.Contains(package.Csv(CsvExport.FormLongFile("VITALS")).Rows, r => r["value"] == stored);
        Assert.Contains(package.Csv(CsvExport.FormWideFile("VITALS")).Rows, r => r["murmur_notes"] == stored);
        Assert.Contains(package.Csv(CsvExport.FormLongFile("ADHERENCE")).Rows, r => r["value"] == ExportTrialFixture.MinusText);
        Assert.Contains(package.Csv(CsvExport.FormLongFile("ADHERENCE")).Rows, r => r["value"] == ExportTrialFixture.ApostropheText);
        Assert.Contains(package.Csv(CsvExport.ParticipantsFile).Rows, r => r["withdrawal_reason"] == "Moved abroad, \"no\" follow-up possible");

        var readme = package.Text(CsvExport.ReadmeFile);
        Assert.Contains("remove ONE", readme, StringComparison.Ordinal);
        Assert.Contains("apostrophe", readme, StringComparison.Ordinal);
        Assert.Contains("joined by commas", readme, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Numbers_are_never_escaped_even_when_negative()
    {
        var snapshot = await fixture.ReadSnapshotAsync(new ExportScope());
        var odd = snapshot with { Diary = [.. snapshot.Diary, new ExportDiaryDay(Guid.Empty, "LON-9999", "LON", -3, false)] };
        var package = Package.Open(await CsvExport.WriteAsync(odd));
        Assert.Contains("\r\nLON-9999,LON,-3,false\r\n", package.Text(CsvExport.DiaryFile), StringComparison.Ordinal);
        Assert.DoesNotContain("'-3", package.Text(CsvExport.DiaryFile), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_same_snapshot_always_gives_the_same_bytes()
    {
        var snapshot = await fixture.ReadSnapshotAsync(new ExportScope());
        var first = await CsvExport.WriteAsync(snapshot);
        var second = await CsvExport.WriteAsync(snapshot);
        Assert.Equal(first, second);

        using var zip = new ZipArchive(new MemoryStream(first), ZipArchiveMode.Read);
        var at = snapshot.Trial.ExportedAt.UtcDateTime;
        Assert.All(zip.Entries, e =>
        {
            var written = e.LastWriteTime.DateTime;
            Assert.True(Math.Abs((written - at).TotalSeconds) <= 2, $"{e.FullName} dated {written:O}, not {at:O}");
        });
        var readme = Package.Open(first).Text(CsvExport.ReadmeFile);
        Assert.Contains(fixture.Trial.Code, readme, StringComparison.Ordinal);
        Assert.Contains(snapshot.Trial.ExportedByName, readme, StringComparison.Ordinal);
        Assert.Contains(snapshot.Trial.ExportedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture), readme, StringComparison.Ordinal);
        Assert.Contains("Database lock: Open", readme, StringComparison.Ordinal);
    }

    private async Task<Package> BlindedAsync() => Package.Open(await CsvExport.WriteAsync(await fixture.ReadSnapshotAsync(new ExportScope())));

    private async Task<Dictionary<Guid, (string Code, TimeZoneInfo Zone)>> ZonesAsync() =>
        (await App.WithDbAsync(db => db.Sites.AsNoTracking().ToListAsync())).ToDictionary(s => s.Id, s => (s.Code, TimeZoneInfo.FindSystemTimeZoneById(s.TimeZone)));

    /// <summary>Every form entry of the trial with its values and scores, straight from the tables.</summary>
    private async Task<List<StoredForm>> StoredFormsAsync()
    {
        var zones = await ZonesAsync();
        return await App.WithDbAsync(async db =>
        {
            var sequences = await db.ProtocolVersions.Where(v => v.TrialId == TrialId).ToDictionaryAsync(v => v.Id, v => v.Sequence);
            var numbers = await db.Participants.Where(p => p.TrialId == TrialId).ToDictionaryAsync(p => p.Id, p => p.Number);
            var entries = await db.FormEntries.AsNoTracking().Where(e => e.TrialId == TrialId).ToListAsync();
            var values = await db.FormValues.AsNoTracking().Where(v => db.FormEntries.Any(e => e.Id == v.FormEntryId && e.TrialId == TrialId)).ToListAsync();
            return entries.Select(e => new StoredForm(
                numbers[e.ParticipantId], zones[e.SiteId].Code, e.VisitCode, e.FormCode, sequences[e.ProtocolVersionId], e.Status, e.UpdatedAt, e.UpdatedByName, e.CompletedAt,
                values.Where(v => v.FormEntryId == e.Id).ToDictionary(v => v.FieldCode, v => v.Value, StringComparer.Ordinal),
                StoredScores.Read(e.ScoresJson).ToDictionary(s => s.Key, s => s.Value.Total, StringComparer.Ordinal))).ToList();
        });
    }

    private static void AssertSameSet<T>(List<T> expected, List<T> actual, Func<T, string> key)
    {
        Assert.Equal(expected.Count, actual.Count);
        Assert.Equal(actual.Count, actual.Select(key).Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(expected.OrderBy(key, StringComparer.Ordinal), actual.OrderBy(key, StringComparer.Ordinal));
    }

    private static string? Null(string? text) => string.IsNullOrEmpty(text) ? null : text;

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static int Int(string text) => int.Parse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

    private static int? NullableInt(string text) => text.Length == 0 ? null : Int(text);

    private static DateOnly? Date(string text) => text.Length == 0 ? null : DateOnly.ParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static DateTimeOffset? Instant(string text) => text.Length == 0
        ? null
        : DateTimeOffset.ParseExact(text, "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    private static bool? Bool(string text) => text switch
    {
        "true" => true,
        "false" => false,
        "" => null,
        _ => throw new FormatException($"'{text}' is not true or false."),
    };

    private sealed record ParticipantRow(
        string Number, string Site, int ProtocolVersion, ParticipantStatus Status, int YearOfBirth, string Sex, DateOnly? ConsentedOn, string Stratum, string? RandomizationNumber,
        DateTimeOffset? RandomizedAt, DateOnly? RandomizedOn, DateOnly? DrugDiscontinuedOn, DateOnly? WithdrawnOn, string? WithdrawalReason);

    private sealed record VisitRow(string Participant, string Site, string Visit, string VisitName, int ScheduledDay, DateOnly? DoneOn, bool Missed, int? StudyDay, bool? InWindow);

    private sealed record LongRow(
        string Participant, string Site, string Visit, string Form, int ProtocolVersion, FormStatus Status, string Kind, string Field, string Value, DateTimeOffset UpdatedAt,
        string UpdatedBy, DateTimeOffset? CompletedAt);

    private sealed record StoredForm(
        string Participant, string Site, string Visit, string Form, int ProtocolVersion, FormStatus Status, DateTimeOffset UpdatedAt, string UpdatedBy, DateTimeOffset? CompletedAt,
        Dictionary<string, string> Values, Dictionary<string, int> Scores)
    {
        public LongRow Row(string kind, string field, string value) => new(Participant, Site, Visit, Form, ProtocolVersion, Status, kind, field, value, UpdatedAt, UpdatedBy, CompletedAt);
    }

    private sealed record DiaryRow(string Participant, string Site, int StudyDay, bool TookDose);

    private sealed record KitRow(string Participant, string Site, string Kit, string Visit, DispensingKind Kind, DateOnly DispensedOn, int UnitsPerKit, DateOnly? ReturnedOn, int? UnusedUnits);

    private sealed record EventRow(
        string Participant, string Site, string Number, int Version, string ReportedTerm, string? CodedTerm, string? Code, DateOnly Onset, DateOnly? End, int Grade, bool Serious,
        string SeriousnessCriteria, Causality Causality, ActionTaken ActionTaken, EventOutcome Outcome, string? SpecialInterest, DateTimeOffset SiteAwareAt, DateTimeOffset ReceivedAt);

    /// <summary>The files of a package, in ZIP order.</summary>
    private sealed class Package
    {
        private readonly Dictionary<string, CsvFile> _parsed = new(StringComparer.Ordinal);

        private Package(List<string> names, Dictionary<string, byte[]> files)
        {
            Names = names;
            Files = files;
        }

        public List<string> Names { get; }

        public Dictionary<string, byte[]> Files { get; }

        public static Package Open(byte[] zipBytes)
        {
            using var zip = new ZipArchive(new MemoryStream(zipBytes), ZipArchiveMode.Read);
            var names = new List<string>();
            var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            foreach (var entry in zip.Entries)
            {
                using var stream = entry.Open();
                using var copy = new MemoryStream();
                stream.CopyTo(copy);
                names.Add(entry.FullName);
                files.Add(entry.FullName, copy.ToArray());
            }

            return new Package(names, files);
        }

        public string Text(string name) => Encoding.UTF8.GetString(Files[name]);

        public CsvFile Csv(string name)
        {
            if (!_parsed.TryGetValue(name, out var csv))
            {
                _parsed[name] = csv = CsvFile.Parse(Files[name], unescape: true);
            }

            return csv;
        }
    }

    /// <summary>A CSV file read back with CsvHelper: the header and each row by column name.</summary>
    private sealed record CsvFile(IReadOnlyList<string> Header, IReadOnlyList<IReadOnlyDictionary<string, string>> Rows)
    {
        private const string FormulaCharacters = "=+-@\t\r";

        public static CsvFile Parse(byte[] bytes, bool unescape)
        {
            using var reader = CsvReader.Create(bytes, new CsvReaderOptions { Separator = ',', HasHeader = true });
            reader.ReadHeader();
            var header = reader.Headers.ToList();
            var rows = new List<IReadOnlyDictionary<string, string>>();
            while (reader.Read())
            {
                Assert.Equal(header.Count, reader.FieldCount);
                var row = new Dictionary<string, string>(StringComparer.Ordinal);
                for (var i = 0; i < header.Count; i++)
                {
                    var cell = reader.GetString(i);
                    row[header[i]] = unescape ? Unescape(cell) : cell;
                }

                rows.Add(row);
            }

            return new CsvFile(header, rows);
        }

        /// <summary>
        /// The README's rule: a cell starting with one or more apostrophes and then a formula character loses one
        /// apostrophe. CsvHelper escapes "=x" as "'=x"; the export escapes a stored "'=x" as "''=x"; nothing else starts so.
        /// </summary>
        private static string Unescape(string cell)
        {
            var i = 0;
            while (i < cell.Length && cell[i] == '\'')
            {
                i++;
            }

            return i > 0 && i < cell.Length && FormulaCharacters.Contains(cell[i], StringComparison.Ordinal) ? cell[1..] : cell;
        }
    }
}
