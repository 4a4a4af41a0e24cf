using Bms.Firmware.Events;

namespace Bms.Firmware.Composition
{
    /// <summary>
    /// The one sink every part of the firmware raises events into. Passes each event, in this order, to the
    /// internal protection state (latching, so the next step of the same tick already sees it), the fault log and
    /// the external sink (telemetry, replay report). Fixed slots: nothing is allocated per event.
    /// </summary>
    public sealed class EventFanOut : IBmsEventSink
    {
        private readonly IBmsEventSink _state;
        private IBmsEventSink _faultLog;
        private IBmsEventSink _external;

        /// <summary>Creates the fan-out; <paramref name="state"/> is required.</summary>
        public EventFanOut(IBmsEventSink state)
        {
            if (state == null)
            {
                throw new System.ArgumentNullException("state");
            }
            _state = state;
        }

        /// <summary>Events raised since start (raises and clears).</summary>
        public long EventCount { get; private set; }

        /// <summary>Sets the fault-log slot (null = none).</summary>
        public void SetFaultLog(IBmsEventSink faultLog)
        {
            _faultLog = faultLog;
        }

        /// <summary>Sets the external slot (null = none).</summary>
        public void SetExternal(IBmsEventSink external)
        {
            _external = external;
        }

        /// <inheritdoc />
        public void OnEvent(long time_ms, BmsEventCode code, ProtectionLevel level, int cell, bool active)
        {
            EventCount++;
            _state.OnEvent(time_ms, code, level, cell, active);
            if (_faultLog != null)
            {
                _faultLog.OnEvent(time_ms, code, level, cell, active);
            }
            if (_external != null)
            {
                _external.OnEvent(time_ms, code, level, cell, active);
            }
        }
    }
}
