{{ and .Values.a .Values.b }}|{{ or .Values.empty .Values.b }}|{{ or .Values.empty .Values.zero }}|{{ not .Values.a }}|{{ and .Values.empty .Values.nope.x }}
