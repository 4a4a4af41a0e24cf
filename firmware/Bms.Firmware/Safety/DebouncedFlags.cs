namespace Bms.Firmware.Safety
{
    /// <summary>
    /// A set of on/off flags, one per channel, each raised only after its condition has held for a set delay and
    /// cleared only after the condition has been absent for a clear delay (so a noisy condition cannot make an
    /// event chatter). Arrays allocated once.
    /// </summary>
    public sealed class DebouncedFlags
    {
        private readonly long[] _conditionSince_ms;
        private readonly long[] _absentSince_ms;
        private readonly bool[] _active;

        /// <summary>Creates <paramref name="channelCount"/> inactive flags.</summary>
        public DebouncedFlags(int channelCount)
        {
            _conditionSince_ms = new long[channelCount];
            _absentSince_ms = new long[channelCount];
            _active = new bool[channelCount];
            for (int i = 0; i < channelCount; i++)
            {
                _conditionSince_ms[i] = -1;
                _absentSince_ms[i] = -1;
            }
        }

        /// <summary>true while the flag of <paramref name="channel"/> is raised.</summary>
        public bool IsActive(int channel)
        {
            return _active[channel];
        }

        /// <summary>
        /// Feeds the condition of one channel at <paramref name="now_ms"/>. Returns +1 when the flag is raised by
        /// this call, -1 when it is cleared, 0 otherwise.
        /// </summary>
        public int Update(int channel, bool condition, long now_ms, long setDelay_ms, long clearDelay_ms)
        {
            if (condition)
            {
                _absentSince_ms[channel] = -1;
                if (_conditionSince_ms[channel] < 0)
                {
                    _conditionSince_ms[channel] = now_ms;
                }
                if (!_active[channel] && now_ms - _conditionSince_ms[channel] >= setDelay_ms)
                {
                    _active[channel] = true;
                    return 1;
                }
                return 0;
            }
            _conditionSince_ms[channel] = -1;
            if (!_active[channel])
            {
                return 0;
            }
            if (_absentSince_ms[channel] < 0)
            {
                _absentSince_ms[channel] = now_ms;
            }
            if (now_ms - _absentSince_ms[channel] >= clearDelay_ms)
            {
                _active[channel] = false;
                _absentSince_ms[channel] = -1;
                return -1;
            }
            return 0;
        }

        /// <summary>Forgets any pending condition of a channel without touching its raised state.</summary>
        public void ForgetPending(int channel)
        {
            _conditionSince_ms[channel] = -1;
        }
    }
}
