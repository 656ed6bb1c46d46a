using YamlDotNet.RepresentationModel;

namespace TrialManager.Domain.Protocols;

/// <summary>
/// Maps a protocol's YAML tree to the model, one routine per section. Sections are mapped in dependency order
/// (forms before the visits that name them, arms before the block sizes that must fit their ratio), and a
/// section that had errors returns null so that checks depending on it are skipped instead of piling up
/// follow-on errors.
/// </summary>
internal sealed partial class ProtocolMapper(ErrorSink errors, Func<string, bool> timeZoneExists)
{
    private static readonly string[] RootKeys =
    [
        "code", "title", "phase", "registry_id", "version", "sponsor", "arms", "randomization", "kits", "depots", "sites",
        "dosing", "visits", "eligibility", "choice_sets", "forms", "safety", "blinding_assessment",
    ];

    private static readonly string[] Phases = ["1", "1/2", "2", "2a", "2b", "2/3", "3", "4"];
    private static readonly string[] ArmKeys = ["code", "blinded_label", "ratio"];
    private static readonly string[] SiteKeys = ["code", "name", "country", "time_zone", "depot", "resupply_min", "resupply_max"];
    private static readonly string[] DepotKeys = ["code", "name", "country", "time_zone", "lead_time_days"];
    private static readonly string[] KitKeys =
        ["units_per_kit", "unit", "doses_per_kit", "shelf_life_days", "initial_stock_per_site", "resupply_min", "resupply_max", "expiry_margin_days"];

    public Protocol? Map(YamlNode root)
    {
        var map = YamlMap.Open(root, "", errors, RootKeys);
        if (map is null)
        {
            return null;
        }

        var code = map.Code("code");
        var title = map.Text("title", 300);
        var phase = map.Word("phase", Phases);
        var registryId = map.Text("registry_id", 40);
        var version = map.Text("version", 20);
        var sponsor = map.Text("sponsor");

        var choiceSets = MapChoiceSets(map);
        var forms = MapForms(map, choiceSets);
        var arms = MapArms(map);
        var visits = MapVisits(map, forms);
        var dosing = MapDosing(map, visits);
        var eligibility = MapEligibility(map, forms, visits, choiceSets);
        var randomization = MapRandomization(map, arms, eligibility, forms, visits);
        var kits = MapKits(map, visits, dosing, arms);
        var depots = MapDepots(map);
        var sites = MapSites(map, depots, kits, arms);
        var safety = MapSafety(map);
        var blinding = MapBlindingAssessment(map, visits, arms);

        if (errors.Count > 0)
        {
            return null;
        }

        return new Protocol
        {
            Code = code!,
            Title = title!,
            Phase = phase!,
            RegistryId = registryId!,
            Version = version!,
            Sponsor = sponsor!,
            Arms = arms!,
            Randomization = randomization!,
            Kits = kits!,
            Sites = sites!,
            Depots = depots!,
            Dosing = dosing!,
            Visits = [.. visits!.Select(v => v with { AssessesBlinding = blinding!.Visits.Contains(v.Code, StringComparer.Ordinal) })],
            Eligibility = eligibility!,
            Forms = forms!,
            Safety = safety!,
            BlindingAssessment = blinding!,
        };
    }

    private List<Arm>? MapArms(YamlMap root)
    {
        var before = errors.Count;
        var arms = new List<Arm>();
        var coded = new List<(string?, YamlMap)>();
        foreach (var item in root.Items("arms", ArmKeys, minCount: 2))
        {
            var code = item.Code("code");
            coded.Add((code, item));
            arms.Add(new Arm(code ?? "", item.Text("blinded_label") ?? "", item.Integer("ratio", 1, 20) ?? 0));
        }

        RequireUnique(coded, "arm");
        return errors.Count == before ? arms : null;
    }

    private List<Depot>? MapDepots(YamlMap root)
    {
        var before = errors.Count;
        var depots = new List<Depot>();
        if (!root.Has("depots"))
        {
            return depots;
        }

        var coded = new List<(string?, YamlMap)>();
        foreach (var item in root.Items("depots", DepotKeys))
        {
            var code = item.Code("code");
            coded.Add((code, item));
            var (country, timeZone) = Place(item);
            var leadTime = item.Integer("lead_time_days", 0, 60, required: false) ?? 2;
            depots.Add(new Depot(code ?? "", item.Text("name") ?? "", country ?? "", timeZone ?? "", leadTime));
        }

        RequireUnique(coded, "depot");
        return errors.Count == before ? depots : null;
    }

    private List<Site>? MapSites(YamlMap root, List<Depot>? depots, KitDefinition? kits, List<Arm>? arms)
    {
        var before = errors.Count;
        var sites = new List<Site>();
        var coded = new List<(string?, YamlMap)>();
        foreach (var item in root.Items("sites", SiteKeys))
        {
            var code = item.Code("code");
            coded.Add((code, item));
            var (country, timeZone) = Place(item);
            var depot = item.Code("depot", required: false);
            if (depot is not null && depots is not null && !depots.Any(d => d.Code == depot))
            {
                item.Error("depot", depots.Count == 0
                    ? $"The site names depot '{depot}', but the protocol has no 'depots' section."
                    : $"There is no depot '{YamlMap.Shorten(depot)}': {YamlMap.Suggest(depot, [.. depots.Select(d => d.Code)], "defined are")}.");
            }

            var minimum = item.Integer("resupply_min", 0, 10_000, required: false);
            var maximum = item.Integer("resupply_max", 1, 10_000, required: false);
            var site = new Site(code ?? "", item.Text("name") ?? "", country ?? "", timeZone ?? "", depot ?? (depots is [var first, ..] ? first.Code : null), minimum, maximum);
            CheckResupplyLevels(item, site, kits, arms);
            sites.Add(site);
        }

        RequireUnique(coded, "site");
        return errors.Count == before ? sites : null;
    }

    private (string? Country, string? TimeZone) Place(YamlMap item)
    {
        var country = item.Text("country", 2);
        if (country is not null && !(country.Length == 2 && country.All(char.IsAsciiLetterUpper)))
        {
            item.Error("country", $"'{country}' is not a country code: use the two capital letters of ISO 3166-1, e.g. NL, DE, US.");
        }

        var timeZone = item.Text("time_zone", 64);
        if (timeZone is not null && !timeZoneExists(timeZone))
        {
            item.Error("time_zone", $"'{timeZone}' is not a known IANA time zone: use a name such as Europe/Amsterdam or America/Toronto.");
        }

        return (country, timeZone);
    }

    /// <summary>A site's own resupply levels must make sense on their own and against the initial stock every site gets.</summary>
    private static void CheckResupplyLevels(YamlMap item, Site site, KitDefinition? kits, List<Arm>? arms)
    {
        if (kits is null || arms is null || (site.ResupplyMinimum is null && site.ResupplyMaximum is null))
        {
            return;
        }

        var minimum = site.ResupplyMinimum ?? kits.ResupplyMinimum;
        var maximum = site.ResupplyMaximum ?? kits.ResupplyMaximum;
        if (minimum > maximum)
        {
            item.Error(site.ResupplyMaximum is null ? "resupply_min" : "resupply_max", $"Site {site.Code}: resupply_max ({maximum}) is below resupply_min ({minimum}); the level to restock to must be at least the level that triggers restocking.");
        }
        else if (InitialSets(kits.InitialStockPerSite, arms) < minimum)
        {
            item.Error("resupply_min", $"Site {site.Code}: resupply_min ({minimum} kits per unit of ratio) is above the initial stock (initial_stock_per_site {kits.InitialStockPerSite} = {InitialSets(kits.InitialStockPerSite, arms)} per unit of ratio); the site would need resupply before its first participant.");
        }
    }

    /// <summary>
    /// Initial stock counts kits of every arm together, rounded up to whole kit sets; the resupply levels count kits per
    /// arm per unit of its ratio. This puts the first in the second's unit.
    /// </summary>
    private static int InitialSets(int initialStock, List<Arm> arms)
    {
        var ratioSum = Math.Max(1, arms.Sum(a => a.Ratio));
        return (initialStock + ratioSum - 1) / ratioSum;
    }

    private KitDefinition? MapKits(YamlMap root, IReadOnlyList<Visit>? visits, DosingRegimen? dosing, List<Arm>? arms)
    {
        var before = errors.Count;
        var map = root.Map("kits", KitKeys);
        if (map is null)
        {
            return null;
        }

        var units = map.Integer("units_per_kit", 1, 1000);
        var doses = map.Integer("doses_per_kit", 1, 1000);
        var initial = map.Integer("initial_stock_per_site", 1, 10_000);
        var resupplyMin = map.Integer("resupply_min", 0, 10_000);
        var resupplyMax = map.Integer("resupply_max", 1, 10_000);
        var kits = new KitDefinition(
            units ?? 0,
            map.Text("unit", 30) ?? "",
            doses ?? 0,
            map.Integer("shelf_life_days", 1, 3650) ?? 0,
            initial ?? 0,
            resupplyMin ?? 0,
            resupplyMax ?? 0,
            map.Integer("expiry_margin_days", 0, 365, required: false) ?? KitDefinition.DefaultExpiryMarginDays);

        if (units is not null && doses is not null && units % doses != 0)
        {
            map.Error("doses_per_kit", $"{units} units cannot be split into {doses} equal doses; make units_per_kit a multiple of doses_per_kit.");
        }

        if (resupplyMin > resupplyMax)
        {
            map.Error("resupply_max", $"resupply_max ({resupplyMax}) is below resupply_min ({resupplyMin}); the level to restock to must be at least the level that triggers restocking.");
        }

        if (initial is { } stock && arms is not null && InitialSets(stock, arms) < resupplyMin)
        {
            map.Error("initial_stock_per_site", $"initial_stock_per_site ({stock} kits, {InitialSets(stock, arms)} of each arm per unit of ratio) is below resupply_min ({resupplyMin} per arm per unit of ratio); a new site would need resupply before its first participant.");
        }

        if (doses is not null && visits is not null && dosing is not null)
        {
            CheckKitLastsUntilNextDispensing(map, doses.Value, visits, dosing);
        }

        return errors.Count == before ? kits : null;
    }

    /// <summary>
    /// One kit is dispensed per dispensing visit, so it must hold every dose due until the next one, counting
    /// that visit as late as its window allows (or to the end of dosing after the last).
    /// </summary>
    private static void CheckKitLastsUntilNextDispensing(YamlMap map, int dosesPerKit, IReadOnlyList<Visit> visits, DosingRegimen dosing)
    {
        var dispensing = visits.Where(v => v.DispensesKit).ToList();
        for (var i = 0; i < dispensing.Count; i++)
        {
            var until = i + 1 < dispensing.Count ? dispensing[i + 1].LatestDay : dosing.LastDay;
            var needed = dosing.ScheduledDoses(dispensing[i].Day, until);
            if (needed > dosesPerKit)
            {
                var next = i + 1 < dispensing.Count ? $"the next dispensing visit {dispensing[i + 1].Code}, if held late" : "the end of dosing";
                map.Error("doses_per_kit", $"A kit holds {dosesPerKit} doses, but {needed} are due from visit {dispensing[i].Code} (day {dispensing[i].Day}) until {next}; raise doses_per_kit to at least {needed} or dispense at more visits.");
                return;
            }
        }
    }

    /// <summary>Codes are compared without regard to case, so PHQ9 and phq9 cannot both exist and be confused.</summary>
    private static void RequireUnique(IEnumerable<(string? Code, YamlMap Item)> items, string what)
    {
        var seen = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (code, item) in items)
        {
            if (code is null)
            {
                continue;
            }

            if (seen.TryGetValue(code, out var first))
            {
                item.Error("code", $"Duplicate {what} code '{code}': {first} already uses it; give each {what} its own code.");
            }
            else
            {
                seen[code] = item.Path;
            }
        }
    }

    /// <summary>Reports a reference to something not defined, suggesting the nearest defined code.</summary>
    private bool IsDefined(string code, YamlNode at, string path, IReadOnlyList<string> defined, string what)
    {
        if (defined.Contains(code, StringComparer.Ordinal))
        {
            return true;
        }

        errors.Add(at, path, $"{what} '{YamlMap.Shorten(code)}' is not defined: {YamlMap.Suggest(code, defined, "defined are")}.");
        return false;
    }
}
