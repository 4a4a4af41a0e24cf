using Bms.Firmware.Events;

namespace Bms.Firmware.Protection
{
    /// <summary>
    /// The system's view of every event raised by any part (protection, thermal-runaway guard, internal-short
    /// screening, contactors, sensor plausibility): which conditions are active at which level, and which faults
    /// are latched. A fault-level raise latches its code; the latch survives the condition clearing and is
    /// released only by <see cref="TryReset"/>, which refuses while any fault condition is still active.
    /// Sources report conditions (raise and clear); this class adds the latch, so the rule is the same for all.
    /// </summary>
    public sealed class ProtectionState : IBmsEventSink
    {
        private const int CodeSlots = 32;
        private const int LevelSlots = 4;

        private readonly int[] _activeCount = new int[CodeSlots * LevelSlots];
        private readonly bool[] _latched = new bool[CodeSlots];
        private readonly long[] _raised = new long[CodeSlots];
        // Cached from _activeCount whenever an event changes it, so that readers (many per tick) do not scan
        // the level slots: each code's highest active level, and per level the bit set of codes at it.
        private readonly int[] _activeLevel = new int[CodeSlots];
        private readonly uint[] _codesAtLevel = new uint[LevelSlots];
        // Codes active at any level (the union of _codesAtLevel[1..3]): with none of the asked ones, no scan.
        private uint _activeCodes;
        private int _latchedCount;

        /// <summary>Time of the last latch (the first fault since the last reset).</summary>
        public long FirstFaultTime_ms { get; private set; }

        /// <summary>Code of the first fault latched since the last reset (None if none).</summary>
        public BmsEventCode FirstFaultCode { get; private set; }

        /// <summary>true while at least one fault is latched.</summary>
        public bool FaultLatched { get { return _latchedCount > 0; } }

        /// <inheritdoc />
        public void OnEvent(long time_ms, BmsEventCode code, ProtectionLevel level, int cell, bool active)
        {
            int c = (int)code;
            int l = (int)level;
            if (c <= 0 || c >= CodeSlots || l <= 0 || l >= LevelSlots)
            {
                return;
            }
            int i = c * LevelSlots + l;
            if (active)
            {
                _activeCount[i]++;
                _raised[c]++;
                if (level == ProtectionLevel.Fault && !_latched[c])
                {
                    _latched[c] = true;
                    if (_latchedCount == 0)
                    {
                        FirstFaultTime_ms = time_ms;
                        FirstFaultCode = code;
                    }
                    _latchedCount++;
                }
            }
            else if (_activeCount[i] > 0)
            {
                _activeCount[i]--;
            }
            else
            {
                return;
            }
            int newLevel = 0;
            for (int s = LevelSlots - 1; s > 0; s--)
            {
                if (_activeCount[c * LevelSlots + s] > 0)
                {
                    newLevel = s;
                    break;
                }
            }
            int previous = _activeLevel[c];
            if (previous != newLevel)
            {
                uint bit = 1u << c;
                _codesAtLevel[previous] &= ~bit;
                _codesAtLevel[newLevel] |= bit;
                _activeLevel[c] = newLevel;
                if (newLevel > 0)
                {
                    _activeCodes |= bit;
                }
                else
                {
                    _activeCodes &= ~bit;
                }
            }
        }

        /// <summary>true when the code's fault is latched.</summary>
        public bool IsLatched(BmsEventCode code)
        {
            int c = (int)code;
            return c > 0 && c < CodeSlots && _latched[c];
        }

        /// <summary>The highest level at which the code's condition is active now (latches not counted).</summary>
        public ProtectionLevel GetActiveLevel(BmsEventCode code)
        {
            int c = (int)code;
            if (c <= 0 || c >= CodeSlots)
            {
                return ProtectionLevel.None;
            }
            return (ProtectionLevel)_activeLevel[c];
        }

        /// <summary>
        /// The highest active level (latches not counted) of every code outside <paramref name="excludedCodes"/>
        /// (bit n set = code n excluded), without asking code by code.
        /// </summary>
        public ProtectionLevel GetHighestActiveLevel(uint excludedCodes)
        {
            uint included = ~excludedCodes & ~1u;
            if ((_activeCodes & included) == 0)
            {
                return ProtectionLevel.None;
            }
            for (int l = LevelSlots - 1; l > 0; l--)
            {
                if ((_codesAtLevel[l] & included) != 0)
                {
                    return (ProtectionLevel)l;
                }
            }
            return ProtectionLevel.None;
        }

        /// <summary>The code's level counting its latch: Fault while latched, else its active level.</summary>
        public ProtectionLevel GetLevel(BmsEventCode code)
        {
            return IsLatched(code) ? ProtectionLevel.Fault : GetActiveLevel(code);
        }

        /// <summary>How many times the code was raised (any level) since start.</summary>
        public long GetRaiseCount(BmsEventCode code)
        {
            int c = (int)code;
            return c > 0 && c < CodeSlots ? _raised[c] : 0;
        }

        /// <summary>Fault while any fault is latched, otherwise the highest active level of any code.</summary>
        public ProtectionLevel HighestActiveLevel
        {
            get
            {
                if (_latchedCount > 0)
                {
                    return ProtectionLevel.Fault;
                }
                return GetHighestActiveLevel(0);
            }
        }

        /// <summary>true while any source reports a fault-level condition as still present.</summary>
        public bool AnyFaultConditionActive
        {
            get
            {
                return (_codesAtLevel[(int)ProtectionLevel.Fault] & ~1u) != 0;
            }
        }

        /// <summary>
        /// Releases every latch when no fault condition is active any more. Returns false (and keeps every latch)
        /// while one is. The caller adds its own conditions for "safe" (contactors open, not welded).
        /// </summary>
        public bool TryReset()
        {
            if (AnyFaultConditionActive)
            {
                return false;
            }
            for (int c = 0; c < CodeSlots; c++)
            {
                _latched[c] = false;
            }
            _latchedCount = 0;
            FirstFaultCode = BmsEventCode.None;
            FirstFaultTime_ms = 0;
            return true;
        }
    }
}
