using System.Collections.Generic;
using System.Linq;
using Bms.Firmware.Events;

namespace Bms.Firmware.Tests.Safety
{
    /// <summary>One event as received by the sink.</summary>
    public sealed record SafetyEvent(long Time_ms, BmsEventCode Code, ProtectionLevel Level, int Cell, bool Active);

    /// <summary>Collects every event (pre-sized so the steady state of a test does not allocate).</summary>
    public sealed class RecordingSink : IBmsEventSink
    {
        public List<SafetyEvent> Events { get; } = new List<SafetyEvent>(1024);

        public void OnEvent(long time_ms, BmsEventCode code, ProtectionLevel level, int cell, bool active)
        {
            Events.Add(new SafetyEvent(time_ms, code, level, cell, active));
        }

        public IEnumerable<SafetyEvent> Raised(BmsEventCode code) => Events.Where(e => e.Code == code && e.Active);

        public SafetyEvent? First(BmsEventCode code) => Raised(code).FirstOrDefault();
    }
}
