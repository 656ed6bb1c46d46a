using TrialManager.Domain.Access;

namespace TrialManager.Domain.Tests.Access;

public class TrialRolesTests
{
    [Fact]
    public void Administrator_and_data_manager_are_blinded()
    {
        Assert.DoesNotContain(TrialRoles.Administrator, TrialRoles.Unblinded);
        Assert.DoesNotContain(TrialRoles.DataManager, TrialRoles.Unblinded);
        Assert.DoesNotContain(TrialRoles.SiteCoordinator, TrialRoles.Unblinded);
        Assert.DoesNotContain(TrialRoles.Investigator, TrialRoles.Unblinded);
        Assert.DoesNotContain(TrialRoles.DepotManager, TrialRoles.Unblinded);
    }

    [Fact]
    public void The_depot_manager_works_across_sites_without_a_second_factor()
    {
        Assert.True(TrialRoles.IsKnown(TrialRoles.DepotManager));
        Assert.DoesNotContain(TrialRoles.DepotManager, TrialRoles.SiteScoped);
        Assert.DoesNotContain(TrialRoles.DepotManager, TrialRoles.RequireTwoFactor);
        Assert.Equal("Depot manager", TrialRoles.DisplayName(TrialRoles.DepotManager));
    }

    [Fact]
    public void Every_special_role_is_a_known_role()
    {
        foreach (var role in TrialRoles.SiteScoped.Concat(TrialRoles.Unblinded).Concat(TrialRoles.RequireTwoFactor))
        {
            Assert.True(TrialRoles.IsKnown(role));
        }

        Assert.False(TrialRoles.IsKnown("administrator"));
        Assert.Equal(7, TrialRoles.All.Count);
    }
}
